//! Mapbox Vector Tile 2.1 written (and read back) by hand: the format is a
//! handful of protobuf messages, and writing them directly keeps a tile one
//! pass over its features with no message tree in between.
//!
//! ```text
//! Tile    { repeated Layer layers = 3; }
//! Layer   { uint32 version = 15; string name = 1; repeated Feature features = 2;
//!           repeated string keys = 3; repeated Value values = 4; uint32 extent = 5; }
//! Feature { uint64 id = 1; packed uint32 tags = 2; GeomType type = 3;
//!           packed uint32 geometry = 4; }
//! Value   { string = 1; float = 2; double = 3; int64 = 4; uint64 = 5;
//!           sint64 = 6; bool = 7; }
//! ```

use rustc_hash::FxHashMap;

use super::{EXTENT, TileGeometry};

/// A property's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Text.
    Str(&'a str),
    /// A number with a fraction.
    Double(f64),
    /// A whole number.
    Int(i64),
    /// Yes or no.
    Bool(bool),
}

/// A value as a layer's table keeps it (doubles by their bits, so that
/// equal values share one entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owned {
    Str(Box<str>),
    Double(u64),
    Int(i64),
    Bool(bool),
}

/// A value that is not text, as a table key (text is looked up by `&str`,
/// so that a value seen before costs no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Plain {
    Double(u64),
    Int(i64),
    Bool(bool),
}

/// One layer of a tile being written: its features as they come, and the
/// tables of keys and values they point into.
#[derive(Debug)]
pub struct LayerWriter {
    name: String,
    keys: Vec<Box<str>>,
    key_at: FxHashMap<Box<str>, u32>,
    values: Vec<Owned>,
    text_at: FxHashMap<Box<str>, u32>,
    plain_at: FxHashMap<Plain, u32>,
    features: Vec<u8>,
    count: usize,
    scratch: Vec<u8>,
    tags: Vec<u32>,
    commands: Vec<u32>,
}

impl LayerWriter {
    /// An empty layer called `name` (the style's `source-layer`).
    #[must_use]
    pub fn new(name: &str) -> LayerWriter {
        LayerWriter {
            name: name.to_owned(),
            keys: Vec::new(),
            key_at: FxHashMap::default(),
            values: Vec::new(),
            text_at: FxHashMap::default(),
            plain_at: FxHashMap::default(),
            features: Vec::new(),
            count: 0,
            scratch: Vec::new(),
            tags: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// How many features were added.
    #[must_use]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether none were.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds a feature with its properties.
    pub fn add(&mut self, geometry: &TileGeometry, properties: &[(&str, Value<'_>)]) {
        self.tags.clear();
        for &(key, value) in properties {
            let k = if let Some(&k) = self.key_at.get(key) {
                k
            } else {
                let k = next(self.keys.len());
                self.keys.push(key.into());
                self.key_at.insert(key.into(), k);
                k
            };
            let v = self.value(value);
            self.tags.extend([k, v]);
        }
        let kind = commands(geometry, &mut self.commands);
        self.scratch.clear();
        packed(&mut self.scratch, 2, &self.tags);
        field_varint(&mut self.scratch, 3, kind);
        packed(&mut self.scratch, 4, &self.commands);
        bytes_field(&mut self.features, 2, &self.scratch);
        self.count += 1;
    }

    /// A value's index in the table, added if new.
    fn value(&mut self, value: Value<'_>) -> u32 {
        let plain = match value {
            Value::Str(text) => {
                if let Some(&v) = self.text_at.get(text) {
                    return v;
                }
                let v = next(self.values.len());
                self.values.push(Owned::Str(text.into()));
                self.text_at.insert(text.into(), v);
                return v;
            }
            Value::Double(d) => Plain::Double(d.to_bits()),
            Value::Int(i) => Plain::Int(i),
            Value::Bool(b) => Plain::Bool(b),
        };
        if let Some(&v) = self.plain_at.get(&plain) {
            return v;
        }
        let v = next(self.values.len());
        self.values.push(match plain {
            Plain::Double(bits) => Owned::Double(bits),
            Plain::Int(i) => Owned::Int(i),
            Plain::Bool(b) => Owned::Bool(b),
        });
        self.plain_at.insert(plain, v);
        v
    }

    /// The layer as a `Tile.layers` entry, appended to `tile`.
    pub fn finish_into(self, tile: &mut Vec<u8>) {
        let mut layer = Vec::with_capacity(self.features.len() + 64);
        field_varint(&mut layer, 15, 2);
        bytes_field(&mut layer, 1, self.name.as_bytes());
        layer.extend_from_slice(&self.features);
        for key in &self.keys {
            bytes_field(&mut layer, 3, key.as_bytes());
        }
        let mut value = Vec::new();
        for v in &self.values {
            value.clear();
            match v {
                Owned::Str(s) => bytes_field(&mut value, 1, s.as_bytes()),
                Owned::Double(bits) => {
                    key(&mut value, 3, 1);
                    value.extend_from_slice(&bits.to_le_bytes());
                }
                // Non-negative as uint64, negative as zigzag sint64: the
                // shortest either way.
                Owned::Int(i) => match u64::try_from(*i) {
                    Ok(u) => field_varint(&mut value, 5, u),
                    Err(_) => field_varint(&mut value, 6, zigzag64(*i)),
                },
                Owned::Bool(b) => field_varint(&mut value, 7, u64::from(*b)),
            }
            bytes_field(&mut layer, 4, &value);
        }
        field_varint(&mut layer, 5, u64::from(EXTENT));
        bytes_field(tile, 3, &layer);
    }
}

/// A tile of these layers, the empty ones left out.
pub fn tile(layers: impl IntoIterator<Item = LayerWriter>) -> Vec<u8> {
    let mut out = Vec::new();
    for layer in layers.into_iter().filter(|l| !l.is_empty()) {
        layer.finish_into(&mut out);
    }
    out
}

/// The index a table's next entry gets.
fn next(len: usize) -> u32 {
    u32::try_from(len).expect("fewer than 2^32 distinct keys or values in a tile")
}

/// The geometry as MVT commands; the geometry type's number.
fn commands(geometry: &TileGeometry, out: &mut Vec<u32>) -> u64 {
    const MOVE_TO: u32 = 1;
    const LINE_TO: u32 = 2;
    const CLOSE_PATH: u32 = 7;
    let command = |id: u32, count: usize| {
        id | (u32::try_from(count).expect("fewer than 2^29 points in a part") << 3)
    };
    out.clear();
    let mut cursor = [0i32; 2];
    let mut to = |out: &mut Vec<u32>, p: [i32; 2]| {
        out.push(zigzag32(p[0] - cursor[0]));
        out.push(zigzag32(p[1] - cursor[1]));
        cursor = p;
    };
    match geometry {
        TileGeometry::Points(points) => {
            out.push(command(MOVE_TO, points.len()));
            for &p in points {
                to(out, p);
            }
            1
        }
        TileGeometry::Lines(parts) | TileGeometry::Polygons(parts) => {
            let closed = matches!(geometry, TileGeometry::Polygons(_));
            for part in parts {
                out.push(command(MOVE_TO, 1));
                to(out, part[0]);
                out.push(command(LINE_TO, part.len() - 1));
                for &p in &part[1..] {
                    to(out, p);
                }
                if closed {
                    out.push(command(CLOSE_PATH, 1));
                }
            }
            if closed { 3 } else { 2 }
        }
    }
}

fn zigzag32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)).cast_unsigned()
}

fn zigzag64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)).cast_unsigned()
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

fn field_varint(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    if values.is_empty() {
        return;
    }
    let mut body = Vec::with_capacity(values.len() * 2);
    for &v in values {
        varint(&mut body, u64::from(v));
    }
    bytes_field(out, field, &body);
}

/// A tile read back: what a map would see in it. For tests and tools (the
/// load generator checks what it fetched); the server only writes.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedLayer {
    /// The layer's name.
    pub name: String,
    /// Its extent.
    pub extent: u32,
    /// Its features.
    pub features: Vec<DecodedFeature>,
}

/// A feature read back.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFeature {
    /// 1 point, 2 line, 3 polygon.
    pub kind: u64,
    /// Its properties, in the order written.
    pub properties: Vec<(String, DecodedValue)>,
    /// Its parts (points: one part of every point), absolute tile units.
    pub parts: Vec<Vec<[i32; 2]>>,
}

/// A property value read back.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodedValue {
    /// Text.
    Str(String),
    /// A number with a fraction.
    Double(f64),
    /// A whole number.
    Int(i64),
    /// Yes or no.
    Bool(bool),
}

impl DecodedFeature {
    /// A property by key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&DecodedValue> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Why a tile could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a vector tile: {0}")]
pub struct DecodeError(&'static str);

/// Reads a tile written by [`tile`] (or any MVT 2 tile).
pub fn decode(bytes: &[u8]) -> Result<Vec<DecodedLayer>, DecodeError> {
    let mut layers = Vec::new();
    for (field, v) in Fields(bytes) {
        if field? == 3 {
            layers.push(decode_layer(v.bytes()?)?);
        }
    }
    Ok(layers)
}

/// How many features a tile holds, checking its framing but reading no
/// feature: what a load generator can afford on every answer.
pub fn count_features(bytes: &[u8]) -> Result<usize, DecodeError> {
    let mut n = 0;
    for (field, v) in Fields(bytes) {
        if field? == 3 {
            for (field, v) in Fields(v.bytes()?) {
                if field? == 2 {
                    v.bytes()?;
                    n += 1;
                }
            }
        }
    }
    Ok(n)
}

fn decode_layer(bytes: &[u8]) -> Result<DecodedLayer, DecodeError> {
    let (mut name, mut extent) = (String::new(), EXTENT);
    let (mut keys, mut values, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    for (field, v) in Fields(bytes) {
        match field? {
            1 => name = text(v.bytes()?)?,
            2 => raw.push(v.bytes()?),
            3 => keys.push(text(v.bytes()?)?),
            4 => values.push(decode_value(v.bytes()?)?),
            5 => extent = u32::try_from(v.int()?).map_err(|_| DecodeError("extent"))?,
            _ => {}
        }
    }
    let features = raw
        .into_iter()
        .map(|f| decode_feature(f, &keys, &values))
        .collect::<Result<_, _>>()?;
    Ok(DecodedLayer {
        name,
        extent,
        features,
    })
}

fn decode_value(bytes: &[u8]) -> Result<DecodedValue, DecodeError> {
    let mut out = Err(DecodeError("an empty value"));
    for (field, v) in Fields(bytes) {
        out = Ok(match (field?, v) {
            (1, v) => DecodedValue::Str(text(v.bytes()?)?),
            (3, Wire::Fixed64(bits)) => DecodedValue::Double(f64::from_bits(bits)),
            (4 | 5, v) => DecodedValue::Int(v.int()?.cast_signed()),
            (6, v) => {
                let u = v.int()?;
                DecodedValue::Int((u >> 1).cast_signed() ^ -((u & 1).cast_signed()))
            }
            (7, v) => DecodedValue::Bool(v.int()? != 0),
            _ => return Err(DecodeError("a value of an unread type")),
        });
    }
    out
}

fn decode_feature(
    bytes: &[u8],
    keys: &[String],
    values: &[DecodedValue],
) -> Result<DecodedFeature, DecodeError> {
    let (mut kind, mut tags, mut geometry) = (0, Vec::new(), Vec::new());
    for (field, v) in Fields(bytes) {
        match field? {
            2 => tags = unpack(v.bytes()?)?,
            3 => kind = v.int()?,
            4 => geometry = unpack(v.bytes()?)?,
            _ => {}
        }
    }
    let properties = tags
        .chunks_exact(2)
        .map(|kv| {
            let k = keys.get(kv[0] as usize).ok_or(DecodeError("a key index"))?;
            let v = values
                .get(kv[1] as usize)
                .ok_or(DecodeError("a value index"))?;
            Ok((k.clone(), v.clone()))
        })
        .collect::<Result<_, _>>()?;
    Ok(DecodedFeature {
        kind,
        properties,
        parts: decode_geometry(&geometry)?,
    })
}

fn decode_geometry(commands: &[u32]) -> Result<Vec<Vec<[i32; 2]>>, DecodeError> {
    let (mut parts, mut cursor, mut i) = (Vec::<Vec<[i32; 2]>>::new(), [0i32; 2], 0);
    while i < commands.len() {
        let (id, count) = (commands[i] & 7, (commands[i] >> 3) as usize);
        i += 1;
        match id {
            1 | 2 => {
                if id == 1 {
                    parts.push(Vec::new());
                }
                let part = parts
                    .last_mut()
                    .ok_or(DecodeError("LineTo before MoveTo"))?;
                for _ in 0..count {
                    let d = commands
                        .get(i..i + 2)
                        .ok_or(DecodeError("a cut geometry"))?;
                    let un = |z: u32| (z >> 1).cast_signed() ^ -((z & 1).cast_signed());
                    cursor = [cursor[0] + un(d[0]), cursor[1] + un(d[1])];
                    part.push(cursor);
                    i += 2;
                }
            }
            7 => {}
            _ => return Err(DecodeError("an unknown command")),
        }
    }
    Ok(parts)
}

fn text(bytes: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError("text not UTF-8"))
}

fn unpack(mut bytes: &[u8]) -> Result<Vec<u32>, DecodeError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let v = read_varint(&mut bytes)?;
        out.push(u32::try_from(v).map_err(|_| DecodeError("a packed value"))?);
    }
    Ok(out)
}

fn read_varint(bytes: &mut &[u8]) -> Result<u64, DecodeError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first().ok_or(DecodeError("a cut varint"))?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(DecodeError("a varint too long"))
}

/// A field's payload.
enum Wire<'a> {
    Int(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

impl<'a> Wire<'a> {
    fn bytes(self) -> Result<&'a [u8], DecodeError> {
        match self {
            Wire::Bytes(b) => Ok(b),
            _ => Err(DecodeError("a field that should be bytes")),
        }
    }

    fn int(self) -> Result<u64, DecodeError> {
        match self {
            Wire::Int(v) => Ok(v),
            _ => Err(DecodeError("a field that should be a varint")),
        }
    }
}

/// A message's fields in order; a malformed one ends the walk with an error.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = (Result<u32, DecodeError>, Wire<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let mut read = || -> Result<(u32, Wire<'a>), DecodeError> {
            let k = read_varint(&mut self.0)?;
            let field = u32::try_from(k >> 3).map_err(|_| DecodeError("a field number"))?;
            let wire = match k & 7 {
                0 => Wire::Int(read_varint(&mut self.0)?),
                1 => {
                    let (b, rest) = self
                        .0
                        .split_at_checked(8)
                        .ok_or(DecodeError("a cut double"))?;
                    self.0 = rest;
                    Wire::Fixed64(u64::from_le_bytes(b.try_into().expect("eight bytes")))
                }
                2 => {
                    let n = usize::try_from(read_varint(&mut self.0)?)
                        .map_err(|_| DecodeError("a length"))?;
                    let (b, rest) = self
                        .0
                        .split_at_checked(n)
                        .ok_or(DecodeError("a cut field"))?;
                    self.0 = rest;
                    Wire::Bytes(b)
                }
                5 => {
                    let (_, rest) = self
                        .0
                        .split_at_checked(4)
                        .ok_or(DecodeError("a cut float"))?;
                    self.0 = rest;
                    Wire::Fixed32
                }
                _ => return Err(DecodeError("an unknown wire type")),
            };
            Ok((field, wire))
        };
        match read() {
            Ok((field, wire)) => Some((Ok(field), wire)),
            Err(e) => {
                self.0 = &[];
                Some((Err(e), Wire::Fixed32))
            }
        }
    }
}
