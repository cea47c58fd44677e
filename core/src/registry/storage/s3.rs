//! Blobs in an S3-compatible object store (AWS S3, Garage, MinIO, Ceph RGW, ...) through the
//! `object_store` crate.
//!
//! Keys: `<prefix>blobs/<alg>/<2 hex>/<hex>` for blobs, and for an upload one object per request
//! that appended to it, `<prefix>uploads/<id>/<offset as 20 digits>`. Each of those is written as
//! a multipart upload (a single PUT when small), so a request cut off mid-way leaves no visible
//! object, memory stays at a few parts whatever the blob's size, and any replica can continue an
//! upload another one started. A blob key appears only by a completed copy or multipart upload,
//! both atomic in S3.

use std::{io, ops::Range, sync::Arc};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
    CopyMode, CopyOptions, GetOptions, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    WriteMultipart,
};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::StreamReader;

use super::{BlobReader, BlobStore, StoredFile};
use crate::registry::names::Digest;

/// Multipart part size: above S3's 5 MiB minimum, small enough that a few in flight stay cheap.
const PART: usize = 8 << 20;
/// Parts uploaded at once per request; with the one being filled, bounds memory per upload.
const PARTS_IN_FLIGHT: usize = 2;
/// S3's limit for a single server-side copy; larger uploads are streamed into place.
const COPY_LIMIT: u64 = 5 << 30;

/// Where the blobs go, from `s3://BUCKET[/PREFIX]?endpoint=URL&region=NAME&style=path|virtual`.
/// Credentials come from the usual `AWS_*` environment variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Key prefix, empty or ending in `/`.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub virtual_hosted: bool,
}

impl S3Location {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
        if url.scheme() != "s3" {
            return Err(format!("{raw:?} must start with s3://"));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| format!("{raw:?} names no bucket (s3://BUCKET/...)"))?
            .to_string();
        let prefix = url.path().trim_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        let mut loc = S3Location {
            bucket,
            prefix,
            endpoint: None,
            region: None,
            virtual_hosted: false,
        };
        let mut style = None;
        for (k, v) in url.query_pairs() {
            match &*k {
                "endpoint" => loc.endpoint = Some(v.trim_end_matches('/').to_string()),
                "region" => loc.region = Some(v.into_owned()),
                "style" if v == "path" || v == "virtual" => style = Some(v == "virtual"),
                "style" => return Err(format!("style={v:?} in {raw:?}: use style=path or style=virtual")),
                other => {
                    return Err(format!(
                        "unknown parameter {other:?} in {raw:?} (known: endpoint, region, style=path|virtual)"
                    ))
                }
            }
        }
        // AWS itself prefers virtual-hosted buckets; self-hosted stores mostly serve path style.
        loc.virtual_hosted = style.unwrap_or(loc.endpoint.is_none());
        Ok(loc)
    }
}

pub struct S3BlobStore {
    store: Arc<AmazonS3>,
    prefix: String,
}

/// One request's bytes of an upload.
struct Chunk {
    path: Path,
    offset: u64,
    size: u64,
}

impl S3BlobStore {
    pub fn open(loc: &S3Location) -> Result<Self, String> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&loc.bucket);
        if let Some(endpoint) = &loc.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &loc.region {
            builder = builder.with_region(region);
        }
        let store = builder
            .with_virtual_hosted_style_request(loc.virtual_hosted)
            .build()
            .map_err(|e| format!("S3 bucket {}: {e}", loc.bucket))?;
        Ok(S3BlobStore {
            store: Arc::new(store),
            prefix: loc.prefix.clone(),
        })
    }

    /// Keys under `<prefix><sub>` (what is stored, for checks and maintenance).
    pub async fn keys_under(&self, sub: &str) -> io::Result<Vec<String>> {
        let dir = Path::from(format!("{}{sub}", self.prefix));
        self.store
            .list(Some(&dir))
            .map_ok(|m| m.location.to_string())
            .map_err(io::Error::from)
            .try_collect()
            .await
    }

    fn blob_path(&self, digest: &Digest) -> Path {
        let s = digest.to_string();
        let (alg, hex) = s.split_once(':').unwrap_or(("sha256", &s));
        Path::from(format!("{}blobs/{alg}/{}/{hex}", self.prefix, &hex[..2]))
    }

    fn upload_dir(&self, id: &str) -> io::Result<Path> {
        super::check_upload_id(id)?;
        Ok(Path::from(format!("{}uploads/{id}", self.prefix)))
    }

    async fn head(&self, path: &Path) -> io::Result<Option<u64>> {
        match self
            .store
            .get_opts(path, GetOptions::new().with_head(true))
            .await
        {
            Ok(r) => Ok(Some(r.meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The upload's chunks in offset order.
    async fn chunks(&self, id: &str) -> io::Result<Vec<Chunk>> {
        let dir = self.upload_dir(id)?;
        let mut chunks: Vec<Chunk> = self
            .store
            .list(Some(&dir))
            .map_err(io::Error::from)
            .try_filter_map(|meta| async move {
                let offset = meta.location.filename().and_then(|f| f.parse().ok());
                Ok(offset.map(|offset| Chunk {
                    path: meta.location,
                    offset,
                    size: meta.size,
                }))
            })
            .try_collect()
            .await?;
        chunks.sort_by_key(|c| c.offset);
        Ok(chunks)
    }

    async fn delete_paths(&self, paths: Vec<Path>) -> io::Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let stream = futures_util::stream::iter(paths.into_iter().map(Ok)).boxed();
        self.store
            .delete_stream(stream)
            .try_for_each(|_| async { Ok(()) })
            .await
            .or_else(|e| match e {
                object_store::Error::NotFound { .. } => Ok(()),
                e => Err(e.into()),
            })
    }

    /// The first `len` bytes of the upload, chunk after chunk.
    fn concat(&self, chunks: Vec<Chunk>, len: u64) -> io::Result<BlobReader> {
        let mut ranges: Vec<(Path, Range<u64>)> = Vec::new();
        let mut at = 0;
        for c in chunks {
            if at >= len {
                break;
            }
            if c.offset != at {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("upload has a gap at byte {at}"),
                ));
            }
            let take = c.size.min(len - at);
            if take > 0 {
                ranges.push((c.path, 0..take));
            }
            at += take;
        }
        if at < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("upload holds {at} of {len} bytes"),
            ));
        }
        let store = self.store.clone();
        let stream = futures_util::stream::iter(ranges)
            .then(move |(path, range)| {
                let store = store.clone();
                async move {
                    store
                        .get_opts(&path, GetOptions::new().with_range(Some(range)))
                        .await
                        .map(|r| r.into_stream())
                }
            })
            .try_flatten()
            .map_err(io::Error::from);
        Ok(Box::pin(StreamReader::new(stream)))
    }

    /// Writes everything `data` yields to `path`: one PUT if it fits in a part, otherwise a
    /// multipart upload that becomes visible only when complete. Returns the bytes written.
    async fn write(
        &self,
        path: &Path,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> io::Result<u64> {
        let mut first = Vec::with_capacity(PART);
        let n = read_up_to(data, &mut first, PART).await?;
        if n == 0 {
            return Ok(0);
        }
        if n < PART {
            self.store
                .put_opts(path, PutPayload::from(first), PutOptions::default())
                .await?;
            return Ok(n as u64);
        }
        let upload = self
            .store
            .put_multipart_opts(path, PutMultipartOptions::default())
            .await?;
        // Dropped half-way (the client went away), the guard aborts the upload.
        let mut guard = AbortOnDrop(None);
        let result = pump(
            guard
                .0
                .insert(WriteMultipart::new_with_chunk_size(upload, PART)),
            first,
            data,
        )
        .await;
        let Some(w) = guard.0.take() else {
            return Err(io::Error::other("multipart upload state lost"));
        };
        match result {
            Ok(written) => {
                w.finish().await?;
                Ok(written)
            }
            Err(e) => {
                // Parts already stored are dropped; the key never appears.
                let _ = w.abort().await;
                Err(e)
            }
        }
    }
}

/// Feeds a multipart upload: the first part already read, then the rest of `data`.
async fn pump(
    w: &mut WriteMultipart,
    first: Vec<u8>,
    data: &mut (dyn AsyncRead + Send + Unpin),
) -> io::Result<u64> {
    let mut written = first.len() as u64;
    w.put(Bytes::from(first));
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = data.read(&mut buf).await?;
        if n == 0 {
            return Ok(written);
        }
        w.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        w.write(&buf[..n]);
        written += n as u64;
    }
}

/// A multipart upload that is aborted (its stored parts freed) if the request that feeds it is
/// dropped half-way, as when the client goes away.
struct AbortOnDrop(Option<WriteMultipart>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = w.abort().await;
                });
            }
        }
    }
}

/// Reads until `buf` holds `want` bytes or the input ends; returns how many it holds.
async fn read_up_to(
    data: &mut (dyn AsyncRead + Send + Unpin),
    buf: &mut Vec<u8>,
    want: usize,
) -> io::Result<usize> {
    while buf.len() < want {
        let n = (&mut *data)
            .take((want - buf.len()) as u64)
            .read_buf(buf)
            .await?;
        if n == 0 {
            break;
        }
    }
    Ok(buf.len())
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn size(&self, digest: &Digest) -> io::Result<Option<u64>> {
        self.head(&self.blob_path(digest)).await
    }

    async fn read(&self, digest: &Digest, offset: u64, len: u64) -> io::Result<BlobReader> {
        if len == 0 {
            return Ok(Box::pin(tokio::io::empty()));
        }
        let got = self
            .store
            .get_opts(
                &self.blob_path(digest),
                GetOptions::new().with_range(Some(offset..offset + len)),
            )
            .await?;
        Ok(Box::pin(StreamReader::new(
            got.into_stream().map_err(io::Error::from),
        )))
    }

    async fn delete(&self, digest: &Digest) -> io::Result<()> {
        self.delete_paths(vec![self.blob_path(digest)]).await
    }

    async fn start_upload(&self, id: &str) -> io::Result<()> {
        // Nothing to create: chunks appear as they are written.
        self.upload_dir(id).map(|_| ())
    }

    async fn append_upload(
        &self,
        id: &str,
        offset: u64,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> io::Result<u64> {
        // Chunks at or past `offset` were never acknowledged (a crash between the store and the
        // database): drop them so they cannot be read as part of the upload.
        let stale = self
            .chunks(id)
            .await?
            .into_iter()
            .filter(|c| c.offset >= offset)
            .map(|c| c.path)
            .collect();
        self.delete_paths(stale).await?;
        let path = Path::from(format!("{}/{offset:020}", self.upload_dir(id)?));
        self.write(&path, data).await
    }

    async fn read_upload(&self, id: &str, len: u64) -> io::Result<BlobReader> {
        let chunks = self.chunks(id).await?;
        self.concat(chunks, len)
    }

    async fn commit_upload(&self, id: &str, len: u64, digest: &Digest) -> io::Result<()> {
        let blob = self.blob_path(digest);
        if self.head(&blob).await?.is_some() {
            // Already stored (same digest, same bytes).
            return self.abort_upload(id).await;
        }
        let chunks = self.chunks(id).await?;
        match chunks.as_slice() {
            // Docker's case, one request with the whole blob: copied inside the store.
            [only] if only.offset == 0 && only.size == len && len <= COPY_LIMIT => {
                self.store
                    .copy_opts(
                        &only.path,
                        &blob,
                        CopyOptions::new().with_mode(CopyMode::Overwrite),
                    )
                    .await?;
            }
            _ => {
                let mut reader = self.concat(chunks, len)?;
                let written = self.write(&blob, &mut reader).await?;
                if written != len {
                    self.delete_paths(vec![blob]).await?;
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("read {written} of {len} upload bytes"),
                    ));
                }
            }
        }
        self.abort_upload(id).await
    }

    async fn abort_upload(&self, id: &str) -> io::Result<()> {
        let paths = self.chunks(id).await?.into_iter().map(|c| c.path).collect();
        self.delete_paths(paths).await
    }

    async fn list_blobs(&self) -> io::Result<Vec<StoredFile>> {
        let dir = Path::from(format!("{}blobs", self.prefix));
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&dir))
            .map_err(io::Error::from)
            .try_collect()
            .await?;
        let skip = dir.as_ref().len() + 1;
        Ok(metas
            .into_iter()
            .filter_map(|m| {
                let key = m.location.as_ref().get(skip..)?.to_string();
                let mut parts = key.split('/');
                let (alg, shard, hex) = (parts.next()?, parts.next()?, parts.next()?);
                Some(StoredFile {
                    digest: super::digest_of_key(alg, shard, hex)?,
                    size: m.size,
                    modified: m.last_modified.timestamp(),
                })
            })
            .collect())
    }

    async fn list_uploads(&self) -> io::Result<Vec<(String, i64)>> {
        let dir = Path::from(format!("{}uploads", self.prefix));
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&dir))
            .map_err(io::Error::from)
            .try_collect()
            .await?;
        let skip = dir.as_ref().len() + 1;
        let mut latest: std::collections::BTreeMap<String, i64> = Default::default();
        for m in metas {
            let Some(id) = m
                .location
                .as_ref()
                .get(skip..)
                .and_then(|k| k.split('/').next())
            else {
                continue;
            };
            let at = m.last_modified.timestamp();
            let e = latest.entry(id.to_string()).or_insert(at);
            *e = (*e).max(at);
        }
        Ok(latest.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_with_defaults_by_endpoint() {
        let l = S3Location::parse("s3://hub/berth/?endpoint=http://127.0.0.1:3900/&region=garage")
            .unwrap();
        assert_eq!(l.bucket, "hub");
        assert_eq!(l.prefix, "berth/");
        assert_eq!(l.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert_eq!(l.region.as_deref(), Some("garage"));
        assert!(
            !l.virtual_hosted,
            "self-hosted stores default to path style"
        );
        let aws = S3Location::parse("s3://hub").unwrap();
        assert_eq!(aws.prefix, "");
        assert!(aws.virtual_hosted);
        assert!(S3Location::parse("s3://hub?style=flat")
            .unwrap_err()
            .contains("use style=path or style=virtual"));
        assert!(
            !S3Location::parse("s3://hub?style=path")
                .unwrap()
                .virtual_hosted
        );
        assert!(S3Location::parse("s3://hub?colour=red").is_err());
        assert!(S3Location::parse("file:///tmp").is_err());
        assert!(S3Location::parse("s3:///x").is_err());
    }
}
