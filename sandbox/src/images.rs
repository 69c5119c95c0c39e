//! Identity images: base64 decoding, the size limit and the JPEG/PNG check.
//!
//! The sandbox cannot read an ID card or judge a face; it checks what can be checked without
//! a model: the encoding (bad base64 is a 400 naming the field), the documented size limit,
//! that the bytes are a JPEG or PNG (else CardNotDetected) and, for liveness, that the three
//! frames differ.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use vlens_client::KnownErrorCode;

use crate::defaults::MAX_IMAGE_BYTES;
use crate::error::{ApiError, FieldProblem};

/// A decoded image, with the field it came from.
#[derive(Debug, Clone)]
pub struct Image {
    pub field: &'static str,
    pub bytes: Vec<u8>,
}

/// Decodes base64, accepting a `data:image/...;base64,` prefix as browsers produce it.
/// The error names the field (never the value).
pub fn decode(field: &'static str, encoded: &str) -> Result<Image, FieldProblem> {
    let payload = match encoded.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => encoded,
    };
    let payload = payload.trim();
    if payload.is_empty() {
        return Err(FieldProblem::new(
            field,
            "is empty; expected a base64 image",
        ));
    }
    STANDARD
        .decode(payload)
        .or_else(|_| STANDARD_NO_PAD.decode(payload))
        .map(|bytes| Image { field, bytes })
        .map_err(|_| FieldProblem::new(field, "is not valid base64"))
}

/// Decodes several fields, reporting every field that is not base64.
pub fn decode_all(fields: &[(&'static str, &str)]) -> Result<Vec<Image>, ApiError> {
    let mut images = Vec::with_capacity(fields.len());
    let mut problems = Vec::new();
    for (field, encoded) in fields {
        match decode(field, encoded) {
            Ok(image) => images.push(image),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(images)
    } else {
        Err(ApiError::BadRequest(problems))
    }
}

/// Whether the bytes start like a JPEG or a PNG.
pub fn is_jpeg_or_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// The size and format checks, in that order, for each image.
pub fn check_content(images: &[Image]) -> Result<(), ApiError> {
    let too_large: Vec<FieldProblem> = images
        .iter()
        .filter(|image| image.bytes.len() > MAX_IMAGE_BYTES)
        .map(|image| {
            FieldProblem::new(
                image.field,
                format!(
                    "is {} bytes decoded; the limit is {MAX_IMAGE_BYTES}",
                    image.bytes.len()
                ),
            )
        })
        .collect();
    if !too_large.is_empty() {
        return Err(ApiError::business_with(
            KnownErrorCode::ImageTooLarge,
            too_large,
        ));
    }
    let not_images: Vec<FieldProblem> = images
        .iter()
        .filter(|image| !is_jpeg_or_png(&image.bytes))
        .map(|image| FieldProblem::new(image.field, "is not a JPEG or PNG image"))
        .collect();
    if !not_images.is_empty() {
        return Err(ApiError::business_with(
            KnownErrorCode::CardNotDetected,
            not_images,
        ));
    }
    Ok(())
}

/// Liveness: the frames must all differ (callers pass the three faces).
pub fn check_frames_distinct(frames: &[Image]) -> Result<(), ApiError> {
    let mut identical = Vec::new();
    for (i, a) in frames.iter().enumerate() {
        for b in &frames[i + 1..] {
            if a.bytes == b.bytes {
                identical.push(FieldProblem::new(
                    b.field,
                    format!("is identical to `{}`", a.field),
                ));
            }
        }
    }
    if identical.is_empty() {
        Ok(())
    } else {
        Err(ApiError::business_with(
            KnownErrorCode::LivenessFramesIdentical,
            identical,
        ))
    }
}

/// A tiny valid PNG that differs by `variant` (used for control-API users' images).
pub fn sample_png(variant: u8) -> Vec<u8> {
    // A PNG signature and an IHDR-sized header are enough for the sandbox's own check; the
    // trailing byte makes each variant distinct.
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.push(variant);
    bytes
}

/// Base64 of bytes.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_and_without_data_prefix() {
        let png = sample_png(1);
        let plain = encode(&png);
        assert_eq!(
            decode("image", &plain).map(|i| i.bytes).ok(),
            Some(png.clone())
        );
        let prefixed = format!("data:image/png;base64,{plain}");
        assert_eq!(decode("image", &prefixed).map(|i| i.bytes).ok(), Some(png));
        assert_eq!(
            decode("face_1", "@@@").err().map(|p| p.field),
            Some("face_1".into())
        );
    }

    #[test]
    fn recognises_jpeg_and_png_only() {
        assert!(is_jpeg_or_png(&sample_png(0)));
        assert!(is_jpeg_or_png(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!is_jpeg_or_png(b"GIF89a"));
    }
}
