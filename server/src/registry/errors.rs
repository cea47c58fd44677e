//! Registry errors as the distribution spec's JSON, with its status codes.

use axum::{
    http::{header, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use berth_core::registry::RegistryError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub detail: Option<serde_json::Value>,
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        use RegistryError as E;
        let (status, code) = match &e {
            E::NameInvalid(_) => (StatusCode::BAD_REQUEST, "NAME_INVALID"),
            E::NameUnknown => (StatusCode::NOT_FOUND, "NAME_UNKNOWN"),
            E::TagInvalid(_) => (StatusCode::BAD_REQUEST, "TAG_INVALID"),
            E::DigestInvalid(_) => (StatusCode::BAD_REQUEST, "DIGEST_INVALID"),
            E::BlobUnknown => (StatusCode::NOT_FOUND, "BLOB_UNKNOWN"),
            E::BlobUploadUnknown => (StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN"),
            E::RangeInvalid { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID"),
            E::SizeInvalid(_) => (StatusCode::BAD_REQUEST, "SIZE_INVALID"),
            E::ManifestUnknown => (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
            E::ManifestInvalid(_) => (StatusCode::BAD_REQUEST, "MANIFEST_INVALID"),
            E::ManifestBlobUnknown(_) => (StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN"),
            E::ManifestTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "MANIFEST_INVALID"),
            E::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            E::Denied(_) => (StatusCode::FORBIDDEN, "DENIED"),
            E::Unsupported(_) => (StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED"),
            E::PaginationInvalid(_) => (StatusCode::BAD_REQUEST, "PAGINATION_NUMBER_INVALID"),
            E::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS"),
            E::Internal(inner) if inner.is_storage_full() => {
                inner.log_if_storage_full();
                return ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "DENIED",
                    "no space left on the storage: nothing was stored; ask the hub's operator \
                     to free space, then push again",
                );
            }
            E::Internal(inner) => {
                tracing::error!(error = %inner, "registry request failed");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UNKNOWN",
                    "internal server error; the server log has the details",
                );
            }
        };
        let mut err = ApiError::new(status, code, e.to_string());
        match e {
            E::ManifestBlobUnknown(d) => err.detail = Some(json!({ "digest": d })),
            E::TooManyRequests(_) => err = err.with_header(header::RETRY_AFTER, "1"),
            E::RangeInvalid { size } => {
                err = err.with_header(
                    HeaderName::from_static("range"),
                    format!("0-{}", size.saturating_sub(1)),
                )
            }
            _ => {}
        }
        err
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut entry = json!({ "code": self.code, "message": self.message });
        if let Some(d) = self.detail {
            entry["detail"] = d;
        }
        let body = json!({ "errors": [entry] }).to_string();
        let mut res = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, v);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_storage_is_named_not_a_bare_500() {
        let full = std::io::Error::from_raw_os_error(libc_enospc());
        let e = ApiError::from(RegistryError::from(full));
        assert_eq!(e.status, StatusCode::INSUFFICIENT_STORAGE);
        assert!(e.message.contains("no space left"), "{}", e.message);
        let other = std::io::Error::other("disk on fire");
        assert_eq!(
            ApiError::from(RegistryError::from(other)).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    /// ENOSPC on Linux.
    fn libc_enospc() -> i32 {
        28
    }
}
