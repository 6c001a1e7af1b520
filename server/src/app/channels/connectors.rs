//! Other systems' reports (一网归集): 12345 tickets, 数字城管 cases, camera
//! alarms, pushed to `POST /api/intake/{source}` signed with the source's
//! secret. The same ticket twice is one incident (across nodes too: the
//! store holds the ticket with the incident, in one transaction); a
//! camera's repeated alarm of the same kind within a window is counted on
//! the open incident it repeats instead of opening another.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::super::App;
use super::{ChannelError, channel_user};
use crate::clock::now_ms;
use crate::connector::{self, IntakeSource, SourceKind};
use crate::identity::User;
use crate::incident::ReportIn;
use crate::incident::channel::{Alarm, ExternalRef, Intake};
use crate::incident::model::{Action, Detail, LogEntry, Priority, Source};
use crate::store::StoreError;
use riskmap_engine::gcj02::Datum;
use riskmap_engine::sphere::LonLat;

/// Longest ticket id, characters.
const MAX_TICKET: usize = 200;

/// A report as another system pushes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pushed {
    /// The system's own ticket id.
    pub ticket: String,
    /// The system's category code (mapped by the source's table).
    pub category: String,
    /// Where (a camera alarm may leave it out: the camera's place).
    #[serde(default)]
    pub lon: Option<f64>,
    /// Where.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Datum of lon/lat.
    #[serde(default)]
    pub coords: Datum,
    /// What happened.
    #[serde(default)]
    pub description: String,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// A camera alarm's camera id.
    #[serde(default)]
    pub camera: Option<String>,
    /// A camera alarm's snapshot: a JPEG, PNG or WebP image, base64.
    #[serde(default)]
    pub snapshot: Option<String>,
}

/// What a push answers.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The incident the ticket is part of.
    pub incident: String,
    /// The ticket.
    pub ticket: String,
    /// The ticket was known already (nothing new was made).
    pub duplicate: bool,
    /// A camera's repeated alarm, counted on an open incident.
    pub repeat: bool,
}

/// A source as an administrator saves it; `secret` may be left out (a
/// new source then gets one, shown once; a known one keeps its own).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceIn {
    /// The source, without its secret.
    #[serde(flatten)]
    pub source: SourceFields,
    /// The shared secret.
    #[serde(default)]
    pub secret: Option<String>,
}

/// [`IntakeSource`]'s fields an administrator sets.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceFields {
    /// See [`IntakeSource::name`].
    pub name: String,
    /// See [`IntakeSource::title`].
    pub title: String,
    /// See [`IntakeSource::kind`].
    pub kind: SourceKind,
    /// See [`IntakeSource::categories`].
    #[serde(default)]
    pub categories: std::collections::BTreeMap<String, String>,
    /// See [`IntakeSource::default_category`].
    #[serde(default)]
    pub default_category: Option<String>,
    /// See [`IntakeSource::callback_url`].
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// A saved source, and its secret if the server made it.
#[derive(Debug, Clone, Serialize)]
pub struct SavedSource {
    /// The source.
    #[serde(flatten)]
    pub source: IntakeSource,
    /// Shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Refuses anyone but the system administrator: a source reports into the
/// whole city, and its call-backs name tickets anywhere.
pub(super) fn system_admin_only(user: &User) -> Result<(), ChannelError> {
    if user.is_system_admin() {
        Ok(())
    } else {
        Err(ChannelError::Forbidden(
            "only the system administrator manages intake sources and call-backs".into(),
        ))
    }
}

impl App {
    /// Every intake source (without secrets).
    pub async fn intake_sources(&self, user: &User) -> Result<Vec<IntakeSource>, ChannelError> {
        system_admin_only(user)?;
        Ok(self.store.sources().await?)
    }

    /// Adds or changes a source.
    pub async fn save_intake_source(
        &self,
        user: &User,
        input: SourceIn,
    ) -> Result<SavedSource, ChannelError> {
        system_admin_only(user)?;
        let f = input.source;
        let known = self.store.source(&f.name).await?;
        let (secret, generated) = match (input.secret, known) {
            (Some(s), _) => (s, None),
            (None, Some(k)) => (k.secret, None),
            (None, None) => {
                let s = hex::encode(rand::random::<[u8; 32]>());
                (s.clone(), Some(s))
            }
        };
        let source = IntakeSource {
            name: f.name,
            title: f.title.trim().to_owned(),
            kind: f.kind,
            categories: f.categories,
            default_category: f.default_category.filter(|d| !d.is_empty()),
            callback_url: f.callback_url.filter(|u| !u.is_empty()),
            secret,
            updated_ms: now_ms(),
        };
        let dict = self.incidents.dictionary();
        source.check(|c| dict.category(c).is_some())?;
        self.store.put_source(&source).await?;
        Ok(SavedSource {
            source,
            secret: generated,
        })
    }

    /// Takes a signed push from a source.
    pub async fn push_intake(
        &self,
        name: &str,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Accepted, ChannelError> {
        let source = self
            .store
            .source(name)
            .await?
            .ok_or_else(|| connector::ConnectorError::UnknownSource(name.to_owned()))?;
        connector::verify(&source.secret, timestamp, signature, body, now_ms())?;
        if source.kind == SourceKind::Alerts {
            return Err(ChannelError::Forbidden(format!(
                "source {name} subscribes to alerts: it pushes no reports"
            )));
        }
        let p: Pushed = serde_json::from_slice(body)
            .map_err(|e| ChannelError::Invalid(format!("the report's JSON: {e}")))?;
        if p.ticket.trim().is_empty() || p.ticket.chars().count() > MAX_TICKET {
            return Err(ChannelError::Invalid(format!(
                "ticket: 1–{MAX_TICKET} characters"
            )));
        }
        if let Some(incident) = self.store.ticket_incident(name, &p.ticket).await? {
            return Ok(Accepted {
                incident,
                ticket: p.ticket,
                duplicate: true,
                repeat: false,
            });
        }
        let category = source.category(&p.category)?;
        let position = self.pushed_position(&source, &p)?;
        if source.kind == SourceKind::Camera
            && let Some(done) = self.repeat_alarm(&source, &p).await?
        {
            return Ok(done);
        }
        let mut photos = Vec::new();
        if let Some(snapshot) = &p.snapshot {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(snapshot.trim())
                .map_err(|e| ChannelError::Invalid(format!("snapshot is not base64: {e}")))?;
            photos.push(
                self.upload_attachment(&format!("intake:{name}"), bytes)
                    .await?
                    .id,
            );
        }
        let now = now_ms();
        let intake = Intake {
            external: Some(ExternalRef {
                source: name.to_owned(),
                ticket: p.ticket.clone(),
            }),
            alarm: p.camera.clone().map(|camera| Alarm {
                camera,
                kind: p.category.clone(),
                count: 1,
                last_ms: now,
            }),
            ..Intake::default()
        };
        let report = ReportIn {
            category,
            source: Some(match source.kind {
                SourceKind::Hotline => Source::Hotline,
                SourceKind::Camera => Source::Camera,
                SourceKind::Platform | SourceKind::Alerts => Source::System,
            }),
            priority: p.priority,
            lon: position.lon,
            lat: position.lat,
            description: p.description,
            photos,
            report_only: false,
            coords: Datum::Wgs84,
        };
        let user = channel_user(
            format!("intake:{name}"),
            source.title.clone(),
            &self.root_code(),
        );
        let filed = self.file_report(&user, report, Some(intake)).await;
        let (incident, duplicate) = match filed {
            Ok(view) => (view.id, false),
            // The same ticket, pushed twice at once (or to two nodes).
            Err(super::DeskError::Store(StoreError::Conflict(e))) => {
                let known = self.store.ticket_incident(name, &p.ticket).await?;
                (known.ok_or(StoreError::Conflict(e))?, true)
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Accepted {
            incident,
            ticket: p.ticket,
            duplicate,
            repeat: false,
        })
    }

    /// Where a pushed report is, in WGS84: its own position, or for a
    /// camera alarm without one, the camera's.
    fn pushed_position(&self, source: &IntakeSource, p: &Pushed) -> Result<LonLat, ChannelError> {
        if let (Some(lon), Some(lat)) = (p.lon, p.lat) {
            let given = LonLat::new(lon, lat).map_err(|e| ChannelError::Invalid(e.to_string()))?;
            return p
                .coords
                .to_wgs84(given)
                .map_err(|e| ChannelError::Invalid(e.to_string()));
        }
        let Some(camera) = p
            .camera
            .as_deref()
            .filter(|_| source.kind == SourceKind::Camera)
        else {
            return Err(ChannelError::Invalid(
                "lon and lat are required (a camera alarm may name its camera instead)".into(),
            ));
        };
        let engine = self.engine.read();
        let cameras = engine.cameras();
        cameras
            .find(camera)
            .and_then(|i| cameras.get(i))
            .map(|c| c.location)
            .ok_or_else(|| ChannelError::Invalid(format!("no camera {camera:?} in the city")))
    }

    /// Counts a camera's repeated alarm on the open incident it repeats, if
    /// there is one within the merge window.
    async fn repeat_alarm(
        &self,
        source: &IntakeSource,
        p: &Pushed,
    ) -> Result<Option<Accepted>, ChannelError> {
        let Some(camera) = &p.camera else {
            return Ok(None);
        };
        let desk = &self.incidents;
        let _one_writer = desk.writer.lock().await;
        let now = now_ms();
        let since = now - self.channels.config.alarm_merge_ms;
        let (inc, log_len) = {
            let book = desk.book();
            let Some(e) = book.open_alarm(camera, &p.category, since) else {
                return Ok(None);
            };
            (e.incident.clone(), e.log_len)
        };
        let mut next = inc.clone();
        if let Some(alarm) = next.intake.as_mut().and_then(|i| i.alarm.as_mut()) {
            alarm.count += 1;
            alarm.last_ms = now;
        }
        next.updated_ms = now;
        next.version += 1;
        let entry = LogEntry {
            incident: inc.id.clone(),
            seq: log_len + 1,
            at_ms: now,
            action: Action::Repeat,
            from: Some(inc.state),
            to: inc.state,
            actor: format!("intake:{}", source.name),
            actor_role: "channel".into(),
            actor_area: inc.grid.clone(),
            comment: p.description.clone(),
            photos: Vec::new(),
            detail: Detail::Ticket {
                source: source.name.clone(),
                ticket: p.ticket.clone(),
            },
        };
        self.commit_change(next, entry, Vec::new()).await?;
        Ok(Some(Accepted {
            incident: inc.id,
            ticket: p.ticket.clone(),
            duplicate: false,
            repeat: true,
        }))
    }
}
