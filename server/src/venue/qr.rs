//! A venue code drawn as a QR code to print: SVG (scales to any size, the
//! place's name beneath) and PNG. Error correction at level M (15%): a
//! printed code survives a scuff or a fold.

use std::fmt::Write as _;

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules round the code, as the standard asks.
const QUIET: usize = 4;
/// Pixels per module in the PNG.
const PNG_SCALE: usize = 10;

/// Why a code could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("the venue code could not be drawn: {0}")]
pub struct QrError(String);

fn matrix(content: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code = QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M)
        .map_err(|e| QrError(e.to_string()))?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((code.width(), dark))
}

/// The QR code of `content` as a PNG, black on white.
///
/// # Errors
/// [`QrError`] if the content does not fit a QR code or the PNG encoder
/// fails.
pub fn png(content: &str) -> Result<Vec<u8>, QrError> {
    let (width, dark) = matrix(content)?;
    let side =
        u32::try_from((width + 2 * QUIET) * PNG_SCALE).map_err(|e| QrError(e.to_string()))?;
    let img = GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x as usize / PNG_SCALE, y as usize / PNG_SCALE);
        let on = (QUIET..QUIET + width).contains(&mx)
            && (QUIET..QUIET + width).contains(&my)
            && dark[(my - QUIET) * width + (mx - QUIET)];
        Luma([if on { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| QrError(e.to_string()))?;
    Ok(out.into_inner())
}

/// The QR code of `content` as SVG, with `caption` (the place's name and
/// its code) beneath, for printing.
///
/// # Errors
/// [`QrError`] if the content does not fit a QR code.
pub fn svg(content: &str, caption: &[&str]) -> Result<String, QrError> {
    let (width, dark) = matrix(content)?;
    let side = width + 2 * QUIET;
    let text_h = 3 * caption.len();
    let mut path = String::new();
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let _ = write!(path, "M{} {}h1v1h-1z", i % width + QUIET, i / width + QUIET);
    }
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {h}\" \
         width=\"{w}mm\" height=\"{hm}mm\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{h}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/>",
        h = side + text_h,
        w = side * 2,
        hm = (side + text_h) * 2,
    );
    for (i, line) in caption.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" text-anchor=\"middle\" \
             font-family=\"sans-serif\">{text}</text>",
            x = side / 2,
            y = side + 3 * i + 2,
            size = if i == 0 { 2.4 } else { 1.4 },
            text = escape(line),
        );
    }
    out.push_str("</svg>");
    Ok(out)
}

/// Text safe inside an XML element.
fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .fold(String::new(), |mut out, c| {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_a_square_code_with_its_quiet_zone() {
        let bytes = png("https://city.example/field?venue=K1.abc").unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert_eq!(img.width(), img.height());
        // The quiet zone is white; the top-left finder pattern's corner black.
        let q = u32::try_from(QUIET * PNG_SCALE).unwrap();
        assert_eq!(img.get_pixel(q - 1, q - 1).0, [255]);
        assert_eq!(img.get_pixel(q, q).0, [0]);
    }

    #[test]
    fn the_svg_names_the_place_safely() {
        let s = svg("K1.abc", &["<实验小学>", "K1.abc"]).unwrap();
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;实验小学&gt;") && !s.contains("<实验小学>"));
    }
}
