//! 随手拍: a citizen's report from the public page, without a login. The
//! citizen follows it by a tracking code, sees its public timeline and
//! reply (一网反馈) and nothing else — no staff, no internal notes, no one
//! else's report — rates it once closed, and earns 积分 for reports
//! accepted.

use serde::{Deserialize, Serialize};

use super::super::App;
use super::{ChannelError, channel_user, take};
use crate::clock::now_ms;
use crate::incident::ReportIn;
use crate::incident::channel::{self, Intake, Rating};
use crate::incident::model::{Source, State};
use riskmap_engine::gcj02::Datum;
use riskmap_engine::model::EpochMs;

/// Most photos on a citizen's report.
pub const MAX_PHOTOS: usize = 3;
/// Letters of a tracking code: no 0/O or 1/I to misread.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a tracking code (50 bits: not guessable).
const CODE_LEN: usize = 10;

/// `POST /api/public/reports`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenReport {
    /// A minor category code from the citizen list.
    pub category: String,
    /// Longitude (WGS84, the phone's GPS).
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// What they saw.
    #[serde(default)]
    pub description: String,
    /// Attachment ids from `POST /api/public/attachments`.
    #[serde(default)]
    pub photos: Vec<String>,
    /// A mainland mobile number, for 积分 and a call back.
    #[serde(default)]
    pub phone: Option<String>,
    /// The solved challenge.
    pub challenge: String,
    /// Its nonce.
    pub nonce: String,
}

/// What the citizen is told after sending.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// The tracking code.
    pub code: String,
    /// Where to follow it.
    pub status_url: String,
}

/// A category on the citizen list.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCategory {
    /// Minor code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
}

/// One step of the public timeline.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStep {
    /// When.
    pub at_ms: EpochMs,
    /// `received`, `accepted`, `dispatched`, `handling`, `handled`,
    /// `closed`, `rejected`, `merged`, `rated`.
    pub step: &'static str,
}

/// A report as its citizen sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicReport {
    /// The tracking code.
    pub code: String,
    /// Minor category code.
    pub category: String,
    /// Its Chinese name.
    pub category_name: Option<String>,
    /// Its English name.
    pub category_name_en: Option<String>,
    /// What they wrote.
    pub description: String,
    /// When it was received.
    pub created_ms: EpochMs,
    /// Where.
    pub lon: f64,
    /// Where.
    pub lat: f64,
    /// Their own photos.
    pub photos: Vec<String>,
    /// `received`, `accepted`, `handling`, `closed` or `rejected`.
    pub status: &'static str,
    /// The public steps, oldest first (a merged report's continue with
    /// the incident it joined).
    pub timeline: Vec<PublicStep>,
    /// The public answer.
    pub reply: Option<String>,
    /// Their rating.
    pub rating: Option<Rating>,
    /// Whether it can be rated now.
    pub can_rate: bool,
    /// 积分 of their phone number (or of this report, without one).
    pub points: u32,
}

impl App {
    /// The categories a citizen picks from.
    #[must_use]
    pub fn public_categories(&self) -> Vec<PublicCategory> {
        let dict = self.incidents.dictionary();
        dict.citizen()
            .categories
            .iter()
            .filter_map(|c| dict.category(c))
            .map(|c| PublicCategory {
                code: c.code.clone(),
                name: c.name.clone(),
                name_en: c.name_en.clone(),
            })
            .collect()
    }

    /// A citizen's photo: the proof checked, the address's rate taken.
    pub async fn public_upload(
        &self,
        address: &str,
        challenge: &str,
        nonce: &str,
        body: Vec<u8>,
    ) -> Result<super::attachments::AttachmentInfo, ChannelError> {
        take(&self.channels.uploads_per_address, address)?;
        self.channels.proof.redeem(challenge, nonce, now_ms())?;
        self.upload_attachment("citizen", body).await
    }

    /// Files a citizen's report: its tracking code.
    pub async fn citizen_report(
        &self,
        address: &str,
        r: CitizenReport,
    ) -> Result<Receipt, ChannelError> {
        take(&self.channels.reports_per_address, address)?;
        let phone = r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = phone {
            check_phone(p)?;
            take(&self.channels.reports_per_phone, p)?;
        }
        if !self
            .incidents
            .dictionary()
            .citizen()
            .categories
            .contains(&r.category)
        {
            return Err(ChannelError::Invalid(format!(
                "category {:?} is not on the citizen list (GET /api/public/categories)",
                r.category
            )));
        }
        if r.photos.len() > MAX_PHOTOS {
            return Err(ChannelError::Invalid(format!(
                "at most {MAX_PHOTOS} photos, got {}",
                r.photos.len()
            )));
        }
        if let Some(p) = r.photos.iter().find(|p| !riskmap_media::is_id(p)) {
            return Err(ChannelError::Invalid(format!(
                "photo {p:?} is not an id from POST /api/public/attachments"
            )));
        }
        if r.description.trim().is_empty() && r.photos.is_empty() {
            return Err(ChannelError::Invalid(
                "say what you saw, or add a photo".into(),
            ));
        }
        self.channels
            .proof
            .redeem(&r.challenge, &r.nonce, now_ms())?;
        let code = self.new_tracking_code();
        let intake = Intake {
            tracking_code: Some(code.clone()),
            phone: phone.map(str::to_owned),
            ..Intake::default()
        };
        let report = ReportIn {
            category: r.category,
            source: Some(Source::Citizen),
            priority: None,
            lon: r.lon,
            lat: r.lat,
            description: r.description,
            photos: r.photos,
            report_only: false,
            coords: Datum::Wgs84,
        };
        let user = channel_user("citizen".into(), "群众".into(), &self.root_code());
        self.file_report(&user, report, Some(intake)).await?;
        Ok(Receipt {
            status_url: format!("/report/{code}"),
            code,
        })
    }

    /// What the citizen sees of their report.
    pub async fn public_report(&self, code: &str) -> Result<PublicReport, ChannelError> {
        let (inc, points, joined) = {
            let book = self.incidents.book();
            let e = book.by_tracking_code(code).ok_or_else(|| unknown(code))?;
            let inc = e.incident.clone();
            let joined = inc
                .merged_into
                .as_deref()
                .and_then(|m| book.get(m))
                .map(|m| m.incident.clone());
            let rule = self.incidents.dictionary().citizen().points_per_accepted;
            let earned = |s: State| !matches!(s, State::Reported | State::Rejected | State::Merged);
            let phone = inc.intake.as_ref().and_then(|i| i.phone.clone());
            let accepted = match phone {
                Some(p) => book
                    .reports_of_phone(&p)
                    .filter(|e| earned(e.incident.state))
                    .count(),
                None => usize::from(earned(inc.state)),
            };
            (
                inc,
                rule * u32::try_from(accepted).unwrap_or(u32::MAX),
                joined,
            )
        };
        let mut timeline = public_steps(&self.store.incident_log(&inc.id).await?, 0);
        let mut status = channel::public_status(inc.state);
        let mut reply = inc.intake.as_ref().and_then(|i| i.reply.clone());
        if let Some(j) = &joined {
            let since = timeline.last().map_or(0, |s| s.at_ms);
            timeline.extend(public_steps(&self.store.incident_log(&j.id).await?, since));
            status = channel::public_status(j.state);
            reply = j.intake.as_ref().and_then(|i| i.reply.clone()).or(reply);
        }
        let rating = inc.intake.as_ref().and_then(|i| i.rating.clone());
        let dict = self.incidents.dictionary();
        let cat = dict.category(&inc.category);
        Ok(PublicReport {
            code: code.to_owned(),
            category_name: cat.map(|c| c.name.clone()),
            category_name_en: cat.map(|c| c.name_en.clone()),
            category: inc.category,
            description: inc.description,
            created_ms: inc.created_ms,
            lon: inc.position.lon,
            lat: inc.position.lat,
            photos: inc.photos,
            status,
            timeline,
            reply,
            can_rate: inc.state == State::Closed && rating.is_none(),
            rating,
            points,
        })
    }

    /// A photo of a citizen's own report.
    pub async fn public_photo(
        &self,
        code: &str,
        id: &str,
        thumb: bool,
    ) -> Result<super::attachments::Photo, ChannelError> {
        let carries = self
            .incidents
            .book()
            .by_tracking_code(code)
            .is_some_and(|e| e.incident.photos.iter().any(|p| p == id));
        if !carries {
            return Err(ChannelError::NotFound(format!(
                "report {code} has no photo {id}"
            )));
        }
        let (mime, bytes, _) = self
            .store
            .attachment(id, thumb)
            .await?
            .ok_or_else(|| ChannelError::NotFound(format!("no photo {id}")))?;
        Ok(super::attachments::Photo { mime, bytes })
    }

    /// The citizen's rating of their closed report.
    pub async fn rate_report(
        &self,
        code: &str,
        score: u8,
        comment: &str,
    ) -> Result<PublicReport, ChannelError> {
        {
            let desk = &self.incidents;
            let _one_writer = desk.writer.lock().await;
            let (inc, log_len) = {
                let book = desk.book();
                let e = book.by_tracking_code(code).ok_or_else(|| unknown(code))?;
                (e.incident.clone(), e.log_len)
            };
            let (next, entry) =
                channel::rate(&inc, score, comment, "citizen", log_len + 1, now_ms())?;
            self.commit_change(next, entry, Vec::new()).await?;
        }
        self.public_report(code).await
    }

    /// A tracking code no report has.
    fn new_tracking_code(&self) -> String {
        loop {
            let bytes: [u8; CODE_LEN] = rand::random();
            let code: String = bytes
                .iter()
                .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
                .collect();
            if self.incidents.book().by_tracking_code(&code).is_none() {
                return code;
            }
        }
    }

    /// The city's (the area tree's root's) code.
    pub(super) fn root_code(&self) -> String {
        let engine = self.engine.read();
        let tree = engine.areas();
        tree.iter()
            .find(|(i, _)| tree.parent(*i).is_none())
            .map(|(_, a)| a.code.clone())
            .unwrap_or_default()
    }
}

fn unknown(code: &str) -> ChannelError {
    ChannelError::NotFound(format!("no report with tracking code {code}"))
}

/// The public steps of a flow log after `since`.
fn public_steps(log: &[crate::incident::model::LogEntry], since: EpochMs) -> Vec<PublicStep> {
    log.iter()
        .filter(|e| e.at_ms >= since)
        .filter_map(|e| {
            channel::public_step(e.action).map(|step| PublicStep {
                at_ms: e.at_ms,
                step,
            })
        })
        .collect()
}

/// A mainland mobile number: 11 digits starting with 1.
fn check_phone(p: &str) -> Result<(), ChannelError> {
    if p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ChannelError::Invalid(format!(
            "phone {p:?} is not a mobile number (11 digits starting with 1)"
        )))
    }
}
