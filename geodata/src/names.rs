//! Chinese names, drawn deterministically from syllable lists in the manner
//! of Wenzhou's own toponyms (a head such as 梧, 仙, 塘 and a tail such as
//! 垟, 岙, 桥), unique where they must be.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

/// First characters of place names.
const HEADS: &[&str] = &[
    "松", "南", "蒲", "五", "七", "仰", "双", "藤", "泽", "瞿", "梧", "娄", "茶", "丽", "潘", "郭",
    "仙", "三", "状", "永", "天", "沙", "星", "瓯", "乌", "黄", "枫", "荆", "柳", "白", "虹", "飞",
    "莘", "陶", "鳌", "萧", "昆", "钱", "灵", "宜", "金", "玉", "罗", "泗", "平", "新", "华", "光",
    "广", "清", "西", "上", "宁", "康", "福", "源", "和", "丰", "花", "东", "北", "前", "后", "大",
    "小", "高", "龙", "凤", "桐", "桂", "兰", "竹", "梅", "杨", "石", "青", "云", "安", "岩", "湖",
    "塘", "鹤", "芦", "马", "象", "麻", "汀", "溪", "林", "朱",
];

/// Last characters of place names.
const TAILS: &[&str] = &[
    "垟", "岙", "桥", "头", "山", "溪", "湖", "塘", "浦", "港", "岭", "坑", "田", "洋", "川", "坦",
    "屿", "湾", "岩", "门", "口", "园", "城", "河", "江", "林", "坪", "庄", "寮", "埠", "堡", "墩",
    "亭", "阳", "庆", "安", "兴", "宁", "丰", "和", "华", "新", "源", "泉", "浦", "岸", "洲", "滨",
    "垄", "碧",
];

/// Common surnames, the most frequent in Wenzhou first (drawn with a bias
/// towards the head of the list).
const SURNAMES: &[&str] = &[
    "陈", "林", "王", "黄", "张", "李", "周", "吴", "郑", "徐", "潘", "叶", "金", "胡", "朱", "杨",
    "刘", "赵", "孙", "高", "谢", "蔡", "应", "项", "董", "池", "季", "戴", "余", "施", "章", "薛",
    "卢", "苏", "方", "夏",
];

/// Characters given names are made of.
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "海", "燕", "红", "晨", "宇",
    "浩", "婷", "雪", "峰", "志", "欣", "俊", "琳", "佳", "鑫", "晓", "慧", "斌", "辉", "立", "新",
    "春", "亮", "瑶", "颖", "骏", "凯",
];

/// Hands out place names unique among those it has given (one per parent:
/// two streets of one district never share a name).
#[derive(Debug, Default)]
pub struct PlaceNames {
    used: FxHashSet<String>,
}

impl PlaceNames {
    /// A new name: a two-character stem, or a three-character one once the
    /// two-character stems start colliding, then `suffix` (街道, 镇, 社区, 村…).
    pub fn next(&mut self, suffix: &str, rng: &mut ChaCha8Rng) -> String {
        let mut attempt = 0_u32;
        loop {
            let head = pick(HEADS, rng);
            let tail = pick(TAILS, rng);
            let name = if attempt < 20 {
                format!("{head}{tail}{suffix}")
            } else {
                format!("{head}{}{tail}{suffix}", pick(HEADS, rng))
            };
            attempt += 1;
            if head != tail && self.used.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// A two-character place stem, e.g. for naming a school after its area.
pub fn stem(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", pick(HEADS, rng), pick(TAILS, rng))
}

/// A person's name: a surname and one or two given characters.
pub fn person(rng: &mut ChaCha8Rng) -> String {
    // The square of a uniform number favours the common surnames.
    let u: f64 = rng.random_range(0.0..1.0);
    let surname = SURNAMES[((u * u) * SURNAMES.len() as f64) as usize % SURNAMES.len()];
    let first = pick(GIVEN, rng);
    if rng.random_bool(0.7) {
        format!("{surname}{first}{}", pick(GIVEN, rng))
    } else {
        format!("{surname}{first}")
    }
}

fn pick<'a>(list: &[&'a str], rng: &mut ChaCha8Rng) -> &'a str {
    list[rng.random_range(0..list.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn place_names_are_unique_even_when_crowded() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut names = PlaceNames::default();
        let all: Vec<String> = (0..3_000).map(|_| names.next("村", &mut rng)).collect();
        let distinct: FxHashSet<&String> = all.iter().collect();
        assert_eq!(distinct.len(), all.len());
        assert!(all.iter().all(|n| n.ends_with('村')));
    }

    #[test]
    fn people_have_two_or_three_characters() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..100 {
            let n = person(&mut rng).chars().count();
            assert!((2..=3).contains(&n));
        }
    }
}
