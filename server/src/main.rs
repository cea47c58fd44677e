//! The `berth` command line: `serve` (the default) and operator commands.

use std::{io::BufRead, process::ExitCode};

use berth_core::{
    accounts::{self, AccountError, NewAccount},
    Config, Hub,
};
use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: page renders allocate many small objects, and
/// glibc's malloc spent a sixth of a busy server's time there and kept freed memory resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands freed memory back at once and commits arena memory only when used: an idle server
/// then stays near 30 MiB resident instead of 50. (Option numbers of the bundled mimalloc 3:
/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` in its `mimalloc.h`.)
fn tune_allocator() {
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting allocator options is allowed at any time; these two only change when
    // memory is committed and returned.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

#[derive(Parser)]
#[command(name = "berth", version, about = "Berth: a self-hosted container hub")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web hub (configuration from BERTH_* variables and berth.toml).
    Serve,
    /// Run automated builds without serving (a build machine): takes build jobs from the shared
    /// database and pushes into the shared storage. Needs BERTH_BUILD_DOCKER_HOST.
    Worker,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy a single-machine hub (SQLite, blobs in the data folder) into PostgreSQL and,
    /// optionally, its blobs into an S3 bucket; every table's row count and every blob's digest
    /// is checked. The target database must be empty.
    MigrateData {
        /// The SQLite database to copy, e.g. sqlite://data/berth.db
        #[arg(long)]
        from: String,
        /// The PostgreSQL database to fill, e.g. postgres://berth@db/berth
        #[arg(long)]
        to: String,
        /// Where the blobs are now: file:///PATH or s3://… (default: BERTH_STORAGE_URL, else the data folder).
        #[arg(long)]
        from_storage: Option<String>,
        /// Where the blobs go, e.g. s3://bucket?endpoint=…&region=… (default: they stay where they are).
        #[arg(long)]
        to_storage: Option<String>,
    },
    /// Collect garbage now: delete blobs no manifest has referenced for BERTH_GC_GRACE seconds
    /// (default a day) and files under the storage that no row knows (older than a day). Safe
    /// while the hub serves. Prints each blob and the bytes reclaimed.
    Gc {
        /// Print what would be removed (blobs already past their grace period) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Add {
        /// The Berth ID (4–30 lowercase letters and digits).
        name: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Mark the email address as confirmed (no confirmation mail).
        #[arg(long)]
        confirmed: bool,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set how many private repositories an account may have (the free plan allows 1).
    SetPlan {
        name: String,
        #[arg(long)]
        private_repos: i64,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    tune_allocator();
    init_logging();
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("berth: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    email,
                    password_stdin: _,
                    confirmed,
                    admin,
                },
        } => add_user(config, &name, &email, confirmed, admin).await,
        Command::User {
            command:
                UserCommand::SetPlan {
                    name,
                    private_repos,
                },
        } => set_plan(config, &name, private_repos).await,
        Command::MigrateData {
            from,
            to,
            from_storage,
            to_storage,
        } => migrate_data(config, &from, &to, from_storage, to_storage).await,
        Command::Gc { dry_run } => gc(config, dry_run).await,
        Command::Worker => worker(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn worker(config: Config) -> Result<(), String> {
    if config.build_docker_host.is_none() {
        return Err("set BERTH_BUILD_DOCKER_HOST to the Docker engine builds run on".into());
    }
    let hub = Hub::open(config).await.map_err(|e| e.to_string())?;
    tracing::info!(
        engine = hub.config.build_docker_host.as_deref().unwrap_or_default(),
        at_once = hub.config.build_concurrency,
        "Berth build worker is running"
    );
    berth_core::jobs::run(hub, berth_core::jobs::Lane::Builds, shutdown_signal()).await;
    Ok(())
}

async fn gc(config: Config, dry_run: bool) -> Result<(), String> {
    let hub = Hub::open(config).await.map_err(|e| e.to_string())?;
    let report = berth_core::lifecycle::collect(&hub, dry_run)
        .await
        .map_err(|e| e.to_string())?;
    let verb = if dry_run { "would remove" } else { "removed" };
    for (digest, bytes) in &report.blobs {
        println!("{verb} blob {digest} ({bytes} bytes)");
    }
    for (digest, bytes) in &report.strays {
        println!("{verb} stray file {digest} ({bytes} bytes, no row knew it)");
    }
    for id in &report.stray_uploads {
        println!("{verb} abandoned upload {id}");
    }
    println!(
        "{} {} blobs and {} stray files, {} bytes{}; {} blobs {} unreferenced (removed after the grace period); {:.2} s",
        if dry_run { "Would remove" } else { "Removed" },
        report.blobs.len(),
        report.strays.len(),
        report.bytes(),
        if dry_run { " would be reclaimed" } else { " reclaimed" },
        report.marked,
        if dry_run { "would be found newly" } else { "found newly" },
        report.seconds
    );
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    tracing::info!(?config, "starting");
    let running = berth_server::start(config)
        .await
        .map_err(|e| e.to_string())?;
    let stop = running.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    });
    running.wait().await.map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn add_user(
    config: Config,
    name: &str,
    email: &str,
    confirmed: bool,
    admin: bool,
) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let hub = Hub::open(config).await.map_err(|e| e.to_string())?;
    let input = NewAccount {
        username: name,
        email,
        password,
    };
    match accounts::register(&hub, input, confirmed, admin).await {
        Ok(user) => {
            if !confirmed {
                // Deliver the confirmation mail now: this process exits right after.
                berth_core::jobs::run_due(&hub)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            println!(
                "created user {} <{}>{}{}",
                user.username,
                user.email,
                if user.confirmed {
                    ", confirmed"
                } else {
                    ", confirmation mail sent"
                },
                if user.is_admin { ", administrator" } else { "" }
            );
            Ok(())
        }
        Err(AccountError::Invalid(fields)) => Err(fields
            .0
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("\n")),
        Err(e) => Err(e.to_string()),
    }
}

async fn migrate_data(
    config: Config,
    from: &str,
    to: &str,
    from_storage: Option<String>,
    to_storage: Option<String>,
) -> Result<(), String> {
    use berth_core::{db::Db, registry::storage, transfer};
    let source = Db::connect(from)
        .await
        .map_err(|e| format!("{from}: {e}"))?;
    let target = Db::connect(to).await.map_err(|e| format!("{to}: {e}"))?;
    let stores = match &to_storage {
        Some(url) => {
            let old = from_storage.as_deref().or(config.storage_url.as_deref());
            Some((
                storage::open_url(old, &config.data_dir).map_err(|e| e.to_string())?,
                storage::open_url(Some(url), &config.data_dir).map_err(|e| e.to_string())?,
            ))
        }
        None => None,
    };
    // Blobs first, so the copied database never names a blob the new store lacks; a second pass
    // after the database catches blobs pushed meanwhile (the first ones are skipped).
    if let Some((old, new)) = &stores {
        let counts = transfer::copy_blobs(&source, old.as_ref(), new.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "blobs: {} copied ({} bytes, digests verified), {} already there",
            counts.copied, counts.bytes, counts.present
        );
    }
    let tables = transfer::copy_database(&source, &target)
        .await
        .map_err(|e| e.to_string())?;
    for (table, rows) in &tables {
        println!("{table}: {rows} rows copied, counts match");
    }
    if let Some((old, new)) = &stores {
        let counts = transfer::copy_blobs(&target, old.as_ref(), new.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "blobs pushed during the copy: {} copied, {} already there",
            counts.copied, counts.present
        );
    }
    println!(
        "done: start berth with BERTH_DATABASE_URL={to}{} (uploads in flight and login sessions are not carried over)",
        match &to_storage {
            Some(url) => format!(" BERTH_STORAGE_URL='{url}'"),
            None => String::new(),
        }
    );
    Ok(())
}

async fn set_plan(config: Config, name: &str, private_repos: i64) -> Result<(), String> {
    let hub = Hub::open(config).await.map_err(|e| e.to_string())?;
    berth_core::repositories::set_plan(&hub, name, private_repos)
        .await
        .map_err(|e| match e {
            berth_core::repositories::RepoError::Invalid(f) => {
                f.0.into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            other => other.to_string(),
        })?;
    println!("{name} may now have {private_repos} private repositories");
    Ok(())
}
