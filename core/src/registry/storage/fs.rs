//! Blobs as files: `blobs/<alg>/<2 hex>/<hex>`, uploads as `uploads/<id>`. A blob file appears
//! only by `rename` of a complete, synced upload, so a crash leaves either no blob or the whole one.

use std::{
    io::{self, SeekFrom},
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use tokio::{
    fs::{self, File, OpenOptions},
    io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt},
};

use super::{BlobReader, BlobStore, StoredFile};
use crate::registry::names::Digest;

/// Bytes read from a request before each write: large enough for few syscalls, small enough
/// that memory does not grow with the blob.
const CHUNK: usize = 1 << 20;

pub struct FsBlobStore {
    blobs: PathBuf,
    uploads: PathBuf,
}

impl FsBlobStore {
    pub fn open(root: &Path) -> io::Result<Self> {
        let store = FsBlobStore {
            blobs: root.join("blobs"),
            uploads: root.join("uploads"),
        };
        std::fs::create_dir_all(&store.blobs)?;
        std::fs::create_dir_all(&store.uploads)?;
        Ok(store)
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        let s = digest.to_string();
        let (alg, hex) = s.split_once(':').unwrap_or(("sha256", &s));
        self.blobs.join(alg).join(&hex[..2]).join(hex)
    }

    fn upload_path(&self, id: &str) -> io::Result<PathBuf> {
        super::check_upload_id(id)?;
        Ok(self.uploads.join(id))
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn size(&self, digest: &Digest) -> io::Result<Option<u64>> {
        match fs::metadata(self.blob_path(digest)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn read(&self, digest: &Digest, offset: u64, len: u64) -> io::Result<BlobReader> {
        let mut file = File::open(self.blob_path(digest)).await?;
        if offset > 0 {
            file.seek(SeekFrom::Start(offset)).await?;
        }
        Ok(Box::pin(file.take(len)))
    }

    async fn delete(&self, digest: &Digest) -> io::Result<()> {
        match fs::remove_file(self.blob_path(digest)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn start_upload(&self, id: &str) -> io::Result<()> {
        File::create(self.upload_path(id)?).await.map(|_| ())
    }

    async fn append_upload(
        &self,
        id: &str,
        offset: u64,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> io::Result<u64> {
        let mut file = OpenOptions::new()
            .write(true)
            .open(self.upload_path(id)?)
            .await?;
        if file.metadata().await?.len() != offset {
            file.set_len(offset).await?;
        }
        file.seek(SeekFrom::Start(offset)).await?;
        let mut buf = vec![0u8; CHUNK];
        let mut written = 0u64;
        loop {
            // Fill the buffer (or reach the end) before writing: request bodies arrive in small frames.
            let mut filled = 0;
            while filled < buf.len() {
                let n = data.read(&mut buf[filled..]).await?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            file.write_all(&buf[..filled]).await?;
            written += filled as u64;
            if filled < buf.len() {
                break;
            }
        }
        file.flush().await?;
        Ok(written)
    }

    async fn read_upload(&self, id: &str, len: u64) -> io::Result<BlobReader> {
        let file = File::open(self.upload_path(id)?).await?;
        Ok(Box::pin(file.take(len)))
    }

    async fn commit_upload(&self, id: &str, len: u64, digest: &Digest) -> io::Result<()> {
        let from = self.upload_path(id)?;
        let to = self.blob_path(digest);
        if fs::metadata(&to).await.is_ok() {
            // Already stored (same digest, same bytes): keep the existing file.
            return self.abort_upload(id).await;
        }
        let file = OpenOptions::new().write(true).open(&from).await?;
        if file.metadata().await?.len() != len {
            file.set_len(len).await?;
        }
        file.sync_all().await?;
        drop(file);
        let parent = to.parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&parent).await?;
        fs::rename(&from, &to).await?;
        // Make the rename itself durable.
        File::open(&parent).await?.sync_all().await?;
        Ok(())
    }

    async fn abort_upload(&self, id: &str) -> io::Result<()> {
        match fs::remove_file(self.upload_path(id)?).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn list_blobs(&self) -> io::Result<Vec<StoredFile>> {
        let mut found = Vec::new();
        for alg in entries(&self.blobs).await? {
            for shard in entries(&alg.path()).await? {
                for file in entries(&shard.path()).await? {
                    let name = |e: &fs::DirEntry| e.file_name().to_string_lossy().into_owned();
                    let Some(digest) =
                        super::digest_of_key(&name(&alg), &name(&shard), &name(&file))
                    else {
                        continue;
                    };
                    let Ok(meta) = file.metadata().await else {
                        continue;
                    };
                    found.push(StoredFile {
                        digest,
                        size: meta.len(),
                        modified: unix(&meta),
                    });
                }
            }
        }
        Ok(found)
    }

    async fn list_uploads(&self) -> io::Result<Vec<(String, i64)>> {
        let mut found = Vec::new();
        for e in entries(&self.uploads).await? {
            if let Ok(meta) = e.metadata().await {
                found.push((e.file_name().to_string_lossy().into_owned(), unix(&meta)));
            }
        }
        Ok(found)
    }
}

/// The entries of a folder; none if it does not exist (a shard emptied meanwhile).
async fn entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut read = match fs::read_dir(dir).await {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    while let Some(e) = read.next_entry().await? {
        out.push(e);
    }
    Ok(out)
}

fn unix(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}
