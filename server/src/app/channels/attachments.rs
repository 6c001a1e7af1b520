//! Photos (照片): uploaded by staff (处置前/处置后, a field report) and by
//! citizens, checked by content, cleaned of their metadata, thumbnailed,
//! and kept in the store — not a node's folder — so that every node of a
//! cluster serves them. Content-addressed: the id is the cleaned image's
//! SHA-256, and the same photo twice is one row.

use serde::Serialize;

use super::super::App;
use super::ChannelError;
use crate::identity::User;
use crate::store::intake::AttachmentRow;

/// What an upload answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// Its id (hex SHA-256), the reference incidents carry.
    pub id: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: &'static str,
    /// Pixels, upright.
    pub width: u32,
    /// Pixels, upright.
    pub height: u32,
    /// Bytes kept.
    pub size: usize,
}

/// A photo's bytes as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// Its media type.
    pub mime: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl App {
    /// Checks, cleans and keeps an uploaded image.
    pub async fn upload_attachment(
        &self,
        uploaded_by: &str,
        body: Vec<u8>,
    ) -> Result<AttachmentInfo, ChannelError> {
        // Decoding is CPU work of up to a second: off the async threads,
        // and no more at once than there are cores.
        let _decoder = self
            .channels
            .decoders
            .acquire()
            .await
            .map_err(|e| ChannelError::Invalid(format!("the image could not be read: {e}")))?;
        let picture = tokio::task::spawn_blocking(move || {
            riskmap_media::inspect(&body, &riskmap_media::Limits::default())
        })
        .await
        .map_err(|e| ChannelError::Invalid(format!("the image could not be read: {e}")))??;
        let info = AttachmentInfo {
            id: picture.id.clone(),
            mime: picture.format.mime(),
            width: picture.width,
            height: picture.height,
            size: picture.bytes.len(),
        };
        self.store
            .put_attachment(&AttachmentRow {
                id: picture.id,
                mime: info.mime.to_owned(),
                width: picture.width,
                height: picture.height,
                bytes: picture.bytes,
                thumb: picture.thumb,
                uploaded_by: uploaded_by.to_owned(),
            })
            .await?;
        Ok(info)
    }

    /// A photo (or its thumbnail) for a user: one they uploaded, or one an
    /// incident they may see carries. Others are not found, as missing
    /// ones are (outsiders are not told it exists).
    pub async fn attachment_for(
        &self,
        user: &User,
        id: &str,
        thumb: bool,
    ) -> Result<Photo, ChannelError> {
        let not_found = || ChannelError::NotFound(format!("no photo {id} you may see"));
        if !riskmap_media::is_id(id) {
            return Err(not_found());
        }
        let (mime, bytes, uploaded_by) = self
            .store
            .attachment(id, thumb)
            .await?
            .ok_or_else(not_found)?;
        let own = uploaded_by == user.username;
        if !own {
            let incidents = self.store.attachment_incidents(id).await?;
            if !incidents.iter().any(|i| self.may_see_incident(user, i)) {
                return Err(not_found());
            }
        }
        Ok(Photo { mime, bytes })
    }
}
