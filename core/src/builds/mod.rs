//! Automated builds: a repository linked to a git repository (its source) rebuilds images from
//! a Dockerfile when a matching branch or tag is pushed (the trigger URL) or on "Build now".
//! Build rules map pushed refs to Docker tags, Docker Hub style. A build is a row in `builds`
//! and a `Build` job; build workers (`berth serve` with an engine configured, `berth worker`)
//! lease those jobs and run them ([`worker`]), pushing the result through the registry's own
//! upload and manifest path.

mod worker;

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use worker::run;

use crate::{
    accounts::{FieldErrors, User},
    clock,
    error::CoreError,
    hub::Hub,
    jobs, rate,
    registry::{names, repos::Repository},
    repositories::{self, RepoError},
    secrets, store,
};

pub const URL_MAX: usize = 2000;
pub const TOKEN_MAX: usize = 500;
pub const RULES_MAX: usize = 20;
pub const ARGS_MAX: usize = 50;
/// Builds a repository may have waiting at once: a trigger URL called in a loop queues no more.
pub const QUEUED_MAX: i64 = 20;
/// Characters of a build's log kept; output past them is not stored (the build goes on).
pub const LOG_MAX: i64 = 2_000_000;
/// Builds listed in a repository's history.
pub const HISTORY: i64 = 100;

/// Which builds mail the owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    Off,
    Failures,
    All,
}

impl Notify {
    pub const CHOICES: [Notify; 3] = [Notify::Off, Notify::Failures, Notify::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Notify::Off => "off",
            Notify::Failures => "failures",
            Notify::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Notify> {
        Notify::CHOICES.into_iter().find(|n| n.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Notify::Off => "Never",
            Notify::Failures => "When a build fails",
            Notify::All => "After every build",
        }
    }
}

/// A build's state. The first four are "not finished".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Queued,
    Cloning,
    Building,
    Pushing,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Queued,
        Status::Cloning,
        Status::Building,
        Status::Pushing,
        Status::Succeeded,
        Status::Failed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Cloning => "cloning",
            Status::Building => "building",
            Status::Pushing => "pushing",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|n| n.as_str() == s)
    }

    pub fn finished(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }
}

/// A repository's linked git repository, as its managers see it.
#[derive(Clone, Debug)]
pub struct Source {
    pub git_url: String,
    pub has_token: bool,
    /// The whole trigger URL (secret: shown to managers only).
    pub trigger_url: String,
    pub has_hook_secret: bool,
    pub notify: Notify,
    pub readme: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    /// `branch` or `tag`.
    pub source_type: String,
    pub source: String,
    pub is_regex: bool,
    pub docker_tag: String,
    pub dockerfile: String,
    pub context: String,
    pub build_args: String,
    pub enabled: bool,
}

impl From<store::builds::RuleRow> for Rule {
    fn from(r: store::builds::RuleRow) -> Self {
        Rule {
            id: r.id,
            source_type: r.source_type,
            source: r.source,
            is_regex: r.is_regex != 0,
            docker_tag: r.docker_tag,
            dockerfile: r.dockerfile,
            context: r.context,
            build_args: r.build_args,
            enabled: r.enabled != 0,
        }
    }
}

impl Rule {
    /// The ref prefix of the rule's source type.
    fn prefix(&self) -> &'static str {
        if self.source_type == "tag" {
            "refs/tags/"
        } else {
            "refs/heads/"
        }
    }

    /// The Docker tag a build of `full_ref` gets, if the rule matches it.
    fn tag_for(&self, full_ref: &str) -> Option<String> {
        let short = full_ref.strip_prefix(self.prefix())?;
        let matches = if self.is_regex {
            regex::Regex::new(&format!("^(?:{})$", self.source))
                .ok()?
                .is_match(short)
        } else {
            short == self.source
        };
        matches.then(|| docker_tag(&self.docker_tag, short))
    }
}

/// `{sourceref}` replaced by the branch or tag name, made a valid Docker tag (other characters
/// become `-`, at most 128).
fn docker_tag(pattern: &str, short_ref: &str) -> String {
    let cleaned: String = short_ref
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches(['.', '-']).to_string();
    let tag = pattern.replace("{sourceref}", &cleaned);
    tag.chars().take(128).collect()
}

#[derive(Clone, Debug)]
pub struct Build {
    pub id: i64,
    pub source_ref: String,
    pub docker_tag: String,
    pub dockerfile: String,
    pub context: String,
    pub status: Status,
    pub cause: String,
    pub commit: Option<String>,
    pub commit_message: Option<String>,
    pub error: Option<String>,
    pub digest: Option<String>,
    pub cancel_requested: bool,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl From<store::builds::BuildRow> for Build {
    fn from(b: store::builds::BuildRow) -> Self {
        Build {
            id: b.id,
            source_ref: b.source_ref,
            docker_tag: b.docker_tag,
            dockerfile: b.dockerfile,
            context: b.context,
            status: Status::parse(&b.status).unwrap_or(Status::Failed),
            cause: b.cause,
            commit: b.commit_sha,
            commit_message: b.commit_message,
            error: b.error,
            digest: b.digest,
            cancel_requested: b.cancel_requested != 0,
            created_at: b.created_at,
            started_at: b.started_at,
            finished_at: b.finished_at,
        }
    }
}

/// The linked source as typed in the form.
pub struct SourceForm<'a> {
    pub git_url: &'a str,
    /// Empty keeps the stored token (or sets none).
    pub token: &'a str,
    pub remove_token: bool,
    /// Empty keeps the stored secret (or sets none).
    pub hook_secret: &'a str,
    pub remove_hook_secret: bool,
    pub notify: &'a str,
    pub readme: bool,
}

/// A build rule as typed in the form.
pub struct RuleForm<'a> {
    pub source_type: &'a str,
    pub source: &'a str,
    pub is_regex: bool,
    pub docker_tag: &'a str,
    pub dockerfile: &'a str,
    pub context: &'a str,
    pub build_args: &'a str,
    pub enabled: bool,
}

/// What the Builds page shows.
pub struct Overview {
    pub repo: Repository,
    pub source: Option<Source>,
    pub rules: Vec<Rule>,
    pub builds: Vec<Build>,
    /// Whether any worker of this hub can build (an engine is configured here).
    pub engine_here: bool,
}

/// A trigger token (the secret of the trigger URL): the hub's one secret generator, 256 bits.
fn random_token() -> String {
    crate::tokens::generate().0
}

pub fn trigger_url(hub: &Hub, token: &str) -> String {
    format!("{}/hooks/build/{token}", hub.config.public_url)
}

fn source_of(hub: &Hub, s: store::builds::SourceRow) -> Source {
    Source {
        has_token: s.token_sealed.is_some(),
        trigger_url: trigger_url(hub, &s.trigger_token),
        has_hook_secret: s.hook_secret.is_some(),
        notify: Notify::parse(&s.notify).unwrap_or(Notify::Failures),
        readme: s.readme != 0,
        git_url: s.git_url,
    }
}

/// What the build history can be filtered by: a status's name, or `running` (cloning, building
/// or pushing).
pub fn history_filter(text: &str) -> Option<&'static str> {
    if text == "running" {
        return Some("running");
    }
    Status::parse(text).map(Status::as_str)
}

/// The Builds page of a repository `user` manages, its history filtered by `status` (see
/// [`history_filter`]; anything else shows every build).
pub async fn overview(
    hub: &Hub,
    user: &User,
    full_name: &str,
    status: Option<&str>,
) -> Result<Overview, RepoError> {
    let status = status.and_then(history_filter);
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    let pool = hub.db.pool();
    let source = store::builds::source(pool, repo.id)
        .await?
        .map(|s| source_of(hub, s));
    let rules = store::builds::rules(pool, repo.id)
        .await?
        .into_iter()
        .map(Rule::from)
        .collect();
    let builds = store::builds::builds(pool, repo.id, status, HISTORY)
        .await?
        .into_iter()
        .map(Build::from)
        .collect();
    Ok(Overview {
        repo,
        source,
        rules,
        builds,
        engine_here: hub.config.build_docker_host.is_some(),
    })
}

/// Where an automated repository's images come from, for its page (`None`: not automated).
pub async fn source_url(hub: &Hub, repo: &Repository) -> Result<Option<String>, CoreError> {
    if !repo.is_automated {
        return Ok(None);
    }
    Ok(store::builds::source(hub.db.pool(), repo.id)
        .await?
        .map(|s| s.git_url))
}

/// The commit `tag` was built from, if an automated build pushed it.
pub async fn tag_commit(
    hub: &Hub,
    repo: &Repository,
    tag: &str,
) -> Result<Option<String>, CoreError> {
    Ok(store::builds::tag_commit(hub.db.pool(), repo.id, tag).await?)
}

/// The build that pushed the image `digest` into `repo`, if a build did (the tag page links
/// its commit there).
pub async fn built_by(
    hub: &Hub,
    repo: &Repository,
    digest: &str,
) -> Result<Option<i64>, CoreError> {
    Ok(store::builds::succeeded_with_digest(hub.db.pool(), repo.id, digest).await?)
}

/// Checks a git URL: https, http, git (or file, if the operator allows local mirrors), no
/// credentials in it, and a host the address guard lets through (the webhooks' guard and
/// allow-list). Checked when saved and again before every clone.
pub async fn check_git_url(hub: &Hub, text: &str) -> Result<url::Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the git repository's URL.".into());
    }
    if text.len() > URL_MAX {
        return Err(format!("At most {URL_MAX} characters."));
    }
    let url = url::Url::parse(text)
        .map_err(|_| "Enter a whole URL, like https://git.example.com/team/app.git.".to_string())?;
    match url.scheme() {
        "https" | "http" | "git" => {}
        "file" if hub.config.build_allow_file => return Ok(url),
        "file" => {
            return Err(
                "file:// sources are off on this hub (an operator can allow local mirrors with \
                 BERTH_BUILD_ALLOW_FILE=1)."
                    .into(),
            )
        }
        _ => return Err("Use an https, http or git URL.".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put the access token in its own field, not in the URL.".into());
    }
    let Some(host) = url.host_str() else {
        return Err("The URL has no host.".into());
    };
    let port = url.port_or_known_default().unwrap_or(9418);
    // A name that does not resolve now is accepted (as for webhooks); the clone checks again
    // and git reports it.
    let addrs: Vec<std::net::SocketAddr> = match tokio::time::timeout(
        crate::webhooks::CONNECT_TIMEOUT,
        tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
    )
    .await
    {
        Ok(Ok(found)) => found.collect(),
        _ => Vec::new(),
    };
    guard(hub, &addrs)?;
    Ok(url)
}

/// Refuses addresses the webhooks' address guard refuses (loopback, private, metadata …).
fn guard(hub: &Hub, addrs: &[std::net::SocketAddr]) -> Result<(), String> {
    match addrs
        .iter()
        .find(|a| !crate::webhooks::allowed(hub, a.ip()))
    {
        Some(refused) => Err(format!(
            "{} is a loopback, private, link-local or otherwise internal address, which builds \
             may not clone from (an operator can allow ranges with BERTH_WEBHOOK_ALLOW).",
            refused.ip()
        )),
        None => Ok(()),
    }
}

/// A checked git URL as a clone uses it: the address the guard let through, fixed for every
/// connection git makes.
pub(crate) struct PinnedUrl {
    /// What git fetches from: the URL itself, or for `git://` (no resolver option) the URL with
    /// the checked address as its host.
    pub fetch_url: String,
    /// `HOST:PORT:ADDRESS` for curl (`http.curloptResolve`): http(s) names resolve to the
    /// checked address only.
    pub curl_resolve: Option<String>,
    /// `scheme://host[:port]`, the only origin the access token is configured for.
    pub origin: String,
}

/// Resolves a checked git URL once, right before a clone, and pins the clone to that address:
/// a name whose answer changes after the check (DNS rebinding) cannot reach another address.
pub(crate) async fn pin_git_url(hub: &Hub, url: &url::Url) -> Result<PinnedUrl, String> {
    let origin = url.origin().ascii_serialization();
    let Some(host) = url.host_str().filter(|_| url.scheme() != "file") else {
        return Ok(PinnedUrl {
            fetch_url: url.to_string(),
            curl_resolve: None,
            origin,
        });
    };
    let port = url.port_or_known_default().unwrap_or(9418);
    let bare = host.trim_matches(['[', ']']);
    let addrs: Vec<std::net::SocketAddr> = tokio::time::timeout(
        crate::webhooks::CONNECT_TIMEOUT,
        tokio::net::lookup_host((bare, port)),
    )
    .await
    .map_err(|_| format!("resolving {host} took too long"))?
    .map_err(|e| format!("cannot resolve {host}: {e}"))?
    .collect();
    guard(hub, &addrs)?;
    let Some(addr) = addrs.first() else {
        return Err(format!("{host} has no address"));
    };
    let shown = match addr.ip() {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    if url.scheme() == "git" {
        let mut pinned = url.clone();
        pinned
            .set_host(Some(&shown))
            .map_err(|e| format!("cannot pin {host}: {e}"))?;
        return Ok(PinnedUrl {
            fetch_url: pinned.to_string(),
            curl_resolve: None,
            origin,
        });
    }
    let literal = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
    Ok(PinnedUrl {
        fetch_url: url.to_string(),
        curl_resolve: (!literal).then(|| format!("{bare}:{port}:{shown}")),
        origin,
    })
}

/// Links a git repository (or changes the link's settings). The first link adds the default
/// rule: branch `main` → `latest`.
pub async fn save_source(
    hub: &Hub,
    user: &User,
    full_name: &str,
    form: SourceForm<'_>,
) -> Result<(), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    let existing = store::builds::source(hub.db.pool(), repo.id).await?;
    let mut errors = FieldErrors::default();
    let url = match check_git_url(hub, form.git_url).await {
        Ok(u) => Some(u),
        Err(e) => {
            errors.0.push(("git_url", e));
            None
        }
    };
    let token = form.token.trim();
    // A stored token only ever goes to the host it was given for: pointing the source elsewhere
    // (even by another manager of the repository) drops it unless a token comes with the change.
    let same_origin = |old: &store::builds::SourceRow| {
        let origin = |u: &str| {
            url::Url::parse(u)
                .ok()
                .map(|u| u.origin().ascii_serialization())
        };
        url.as_ref()
            .is_some_and(|new| origin(new.as_str()) == origin(&old.git_url))
    };
    let token_sealed = if form.remove_token {
        None
    } else if token.is_empty() {
        existing
            .as_ref()
            .filter(|old| same_origin(old))
            .and_then(|s| s.token_sealed.clone())
    } else if token.len() > TOKEN_MAX {
        errors
            .0
            .push(("token", format!("At most {TOKEN_MAX} characters.")));
        None
    } else if let Some(key) = &hub.config.secret_key {
        Some(secrets::seal(key, token))
    } else {
        errors.0.push((
            "token",
            "This hub cannot store access tokens: its operator has not set BERTH_SECRET_KEY."
                .into(),
        ));
        None
    };
    let hook_secret = if form.remove_hook_secret {
        None
    } else if form.hook_secret.is_empty() {
        existing.as_ref().and_then(|s| s.hook_secret.clone())
    } else if form.hook_secret.len() > crate::webhooks::SECRET_MAX {
        errors.0.push((
            "hook_secret",
            format!("At most {} characters.", crate::webhooks::SECRET_MAX),
        ));
        None
    } else {
        Some(form.hook_secret.to_string())
    };
    let notify = Notify::parse(form.notify);
    if notify.is_none() {
        errors
            .0
            .push(("notify", "Choose when to be mailed.".into()));
    }
    let (Some(url), Some(notify), true) = (url, notify, errors.0.is_empty()) else {
        return Err(RepoError::Invalid(errors));
    };
    let now = clock::now();
    let row = store::builds::SourceRow {
        repository_id: repo.id,
        git_url: url.to_string(),
        token_sealed,
        trigger_token: existing
            .as_ref()
            .map_or_else(random_token, |s| s.trigger_token.clone()),
        hook_secret,
        notify: notify.as_str().into(),
        readme: i64::from(form.readme),
        linked_by: user.id,
        created_at: now,
    };
    let mut tx = hub.db.begin_write().await?;
    store::builds::link(&mut tx, &row).await?;
    if existing.is_none() && store::builds::rules(&mut *tx, repo.id).await?.is_empty() {
        store::builds::save_rule(
            &mut *tx,
            &store::builds::RuleRow {
                id: 0,
                repository_id: repo.id,
                source_type: "branch".into(),
                source: "main".into(),
                is_regex: 0,
                docker_tag: "latest".into(),
                dockerfile: "Dockerfile".into(),
                context: "/".into(),
                build_args: String::new(),
                enabled: 1,
                created_at: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Unlinks the source: no more builds, rules deleted, the "Automated" badge gone. The build
/// history stays.
pub async fn unlink(hub: &Hub, user: &User, full_name: &str) -> Result<(), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    let mut tx = hub.db.begin_write().await?;
    store::builds::unlink(&mut tx, repo.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A new trigger URL; the old one stops working at once.
pub async fn regenerate_trigger(hub: &Hub, user: &User, full_name: &str) -> Result<(), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    if store::builds::source(hub.db.pool(), repo.id)
        .await?
        .is_none()
    {
        return Err(RepoError::Refused("Link a git repository first.".into()));
    }
    store::builds::set_trigger_token(hub.db.pool(), repo.id, &random_token()).await?;
    Ok(())
}

fn check_ref_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['/', '-', '.'])
        && !name.ends_with(['/', '.'])
        && !name.contains("..")
        && !name.contains("//")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
    if ok {
        Ok(())
    } else {
        Err("A branch or tag name: letters, digits, '.', '_', '-' and '/'.".into())
    }
}

/// A path inside the repository: relative, no `..`.
fn check_path(path: &str, what: &str) -> Result<(), String> {
    let p = path.trim_start_matches('/');
    if path.len() > 255
        || path.contains('\\')
        || p.split('/').any(|c| c == "..")
        || path.chars().any(char::is_control)
    {
        return Err(format!(
            "A {what} inside the repository, like docker/app (no '..')."
        ));
    }
    Ok(())
}

/// KEY=VALUE lines into pairs.
pub fn parse_args(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("{line:?} is not KEY=VALUE."));
        };
        let k = k.trim();
        let valid = k
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "{k:?} is not a build argument name (letters, digits, '_')."
            ));
        }
        out.push((k.to_string(), v.to_string()));
    }
    if out.len() > ARGS_MAX {
        return Err(format!("At most {ARGS_MAX} build arguments."));
    }
    Ok(out)
}

fn check_rule(form: &RuleForm<'_>) -> Result<(), RepoError> {
    let mut errors = FieldErrors::default();
    if !matches!(form.source_type, "branch" | "tag") {
        errors
            .0
            .push(("source_type", "Choose branch or tag.".into()));
    }
    let source = form.source.trim();
    if form.is_regex {
        let ok = !source.is_empty()
            && source.len() <= 255
            && regex::RegexBuilder::new(source)
                .size_limit(1 << 16)
                .build()
                .is_ok();
        if !ok {
            errors.0.push((
                "source",
                "Enter a valid regular expression, like ^v[0-9.]+$ (at most 255 characters)."
                    .into(),
            ));
        }
    } else {
        errors.check("source", check_ref_name(source));
    }
    let sample = docker_tag(form.docker_tag.trim(), "main");
    if form.docker_tag.trim().is_empty() || names::check_tag(&sample).is_err() {
        errors.0.push((
            "docker_tag",
            "A Docker tag (letters, digits, '_', '.', '-'; up to 128), or one with {sourceref} \
             for the branch or tag name."
                .into(),
        ));
    }
    errors.check(
        "dockerfile",
        check_path(form.dockerfile.trim(), "file path"),
    );
    if form.dockerfile.trim().is_empty() {
        errors.0.push((
            "dockerfile",
            "Enter the Dockerfile's path, like Dockerfile.".into(),
        ));
    }
    errors.check("context", check_path(form.context.trim(), "folder"));
    errors.check("build_args", parse_args(form.build_args).map(|_| ()));
    if errors.0.is_empty() {
        Ok(())
    } else {
        Err(RepoError::Invalid(errors))
    }
}

/// Adds a rule (`id` 0) or changes one.
pub async fn save_rule(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
    form: RuleForm<'_>,
) -> Result<i64, RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    if store::builds::source(hub.db.pool(), repo.id)
        .await?
        .is_none()
    {
        return Err(RepoError::Refused("Link a git repository first.".into()));
    }
    check_rule(&form)?;
    if id == 0 && store::builds::rules(hub.db.pool(), repo.id).await?.len() >= RULES_MAX {
        return Err(RepoError::Refused(format!(
            "A repository has at most {RULES_MAX} build rules."
        )));
    }
    let context = form.context.trim();
    let row = store::builds::RuleRow {
        id,
        repository_id: repo.id,
        source_type: form.source_type.into(),
        source: form.source.trim().into(),
        is_regex: i64::from(form.is_regex),
        docker_tag: form.docker_tag.trim().into(),
        dockerfile: form.dockerfile.trim().into(),
        context: if context.is_empty() {
            "/".into()
        } else {
            context.into()
        },
        build_args: form.build_args.trim().replace("\r\n", "\n"),
        enabled: i64::from(form.enabled),
        created_at: clock::now(),
    };
    store::builds::save_rule(hub.db.pool(), &row)
        .await?
        .ok_or(RepoError::Refused("This build rule does not exist.".into()))
}

pub async fn delete_rule(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
) -> Result<(), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    store::builds::delete_rule(hub.db.pool(), repo.id, id).await?;
    Ok(())
}

/// Queues one build per (rule, ref) in one transaction and wakes the build workers.
async fn queue(
    hub: &Hub,
    repo_id: i64,
    wanted: Vec<(store::builds::RuleRow, String, String)>,
    cause: &str,
    requested_by: Option<i64>,
    want_commit: Option<&str>,
) -> Result<Vec<i64>, RepoError> {
    let mut tx = hub.db.begin_write().await?;
    let pending = store::builds::pending(&mut *tx, repo_id).await?;
    if pending + wanted.len() as i64 > QUEUED_MAX {
        return Err(RepoError::Refused(format!(
            "{pending} builds are already waiting for this repository (at most {QUEUED_MAX})."
        )));
    }
    let now = clock::now();
    let mut ids = Vec::new();
    for (rule, full_ref, tag) in &wanted {
        let id = store::builds::insert_build(
            &mut *tx,
            store::builds::NewBuild {
                repository_id: repo_id,
                rule,
                source_ref: full_ref,
                docker_tag: tag,
                cause,
                requested_by,
                want_commit,
                at: now,
            },
        )
        .await?;
        jobs::enqueue(&mut *tx, &jobs::Job::Build { build: id }).await?;
        ids.push(id);
    }
    tx.commit().await?;
    hub.jobs.wake();
    Ok(ids)
}

/// "Build now" for one rule: its branch or tag as it is now. A pattern rule builds only from
/// pushes (the trigger URL), as it names no single ref.
pub async fn build_now(
    hub: &Hub,
    user: &User,
    full_name: &str,
    rule_id: i64,
) -> Result<i64, RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    let rule = store::builds::rules(hub.db.pool(), repo.id)
        .await?
        .into_iter()
        .find(|r| r.id == rule_id)
        .ok_or(RepoError::Refused("This build rule does not exist.".into()))?;
    if rule.is_regex != 0 {
        return Err(RepoError::Refused(
            "A rule with a pattern builds when a matching branch or tag is pushed (the trigger URL).".into(),
        ));
    }
    let r = Rule::from(rule.clone());
    let full_ref = format!("{}{}", r.prefix(), r.source);
    let tag = docker_tag(&r.docker_tag, &r.source);
    let ids = queue(
        hub,
        repo.id,
        vec![(rule, full_ref, tag)],
        "manual",
        Some(user.id),
        None,
    )
    .await?;
    Ok(ids.first().copied().unwrap_or_default())
}

/// A call of the trigger URL, as the HTTP layer read it.
pub struct TriggerCall<'a> {
    pub body: &'a [u8],
    /// `X-Hub-Signature-256` (GitHub, Gitea) or `X-Berth-Signature-256`: `sha256=HEX`.
    pub signature_256: Option<&'a str>,
    /// `X-Gitea-Signature`: HEX.
    pub gitea_signature: Option<&'a str>,
    /// `X-Gitlab-Token`: the secret itself.
    pub gitlab_token: Option<&'a str>,
    /// `?ref=` of a plain POST.
    pub query_ref: Option<&'a str>,
    /// The caller's address, for the limit on bad calls.
    pub address: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("unknown trigger")]
    Unknown,
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Refused(String),
    /// Too many bad calls from this address.
    #[error("too many bad trigger calls; try again in {0} s")]
    Limited(i64),
    #[error(transparent)]
    Internal(#[from] CoreError),
}

impl From<sqlx::Error> for TriggerError {
    fn from(e: sqlx::Error) -> Self {
        TriggerError::Internal(CoreError::Db(e))
    }
}

fn verify(secret: &str, call: &TriggerCall<'_>) -> bool {
    let mac = || Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok();
    let hex_ok = |hex_sig: &str| {
        let (Some(mut m), Ok(sig)) = (mac(), hex::decode(hex_sig.trim())) else {
            return false;
        };
        m.update(call.body);
        m.verify_slice(&sig).is_ok()
    };
    if let Some(s) = call.signature_256 {
        return s.strip_prefix("sha256=").is_some_and(hex_ok);
    }
    if let Some(s) = call.gitea_signature {
        return hex_ok(s);
    }
    if let Some(t) = call.gitlab_token {
        // GitLab sends the secret itself; compare without an early exit.
        let (a, b) = (t.as_bytes(), secret.as_bytes());
        return a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0;
    }
    false
}

/// What a push payload says: the ref and the commit it now points at.
fn pushed_ref(call: &TriggerCall<'_>) -> (Option<String>, Option<String>) {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(call.body)
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // GitHub's form-encoded deliveries carry the JSON in `payload`.
    let json = serde_json::from_slice::<serde_json::Value>(call.body)
        .ok()
        .or_else(|| get("payload").and_then(|p| serde_json::from_str(&p).ok()));
    if let Some(v) = json {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let commit = s("after")
            .or_else(|| s("checkout_sha"))
            .or_else(|| s("commit"));
        return (s("ref"), commit);
    }
    (
        get("ref").or(call.query_ref.map(str::to_string)),
        get("after").or_else(|| get("commit")),
    )
}

/// The trigger URL was called: verifies the signature when a secret is set and queues a build
/// for every enabled rule matching the pushed ref (every enabled rule with a fixed name when
/// the call names no ref). Returns the queued builds.
pub async fn trigger(
    hub: &Hub,
    token: &str,
    call: TriggerCall<'_>,
) -> Result<Vec<i64>, TriggerError> {
    let address = call.address.unwrap_or("unknown");
    if let Err(l) = rate::check(hub, rate::BAD_TRIGGERS_PER_ADDRESS, address).await? {
        return Err(TriggerError::Limited(l.retry_after));
    }
    match checked_trigger(hub, token, &call).await {
        Err(e @ (TriggerError::Unknown | TriggerError::Unauthorized(_))) => {
            rate::hit(hub, rate::BAD_TRIGGERS_PER_ADDRESS, address)
                .await?
                .ok();
            Err(e)
        }
        other => other,
    }
}

async fn checked_trigger(
    hub: &Hub,
    token: &str,
    call: &TriggerCall<'_>,
) -> Result<Vec<i64>, TriggerError> {
    let shaped = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if !shaped {
        return Err(TriggerError::Unknown);
    }
    let Some(source) = store::builds::source_by_trigger(hub.db.pool(), token).await? else {
        return Err(TriggerError::Unknown);
    };
    if let Some(secret) = &source.hook_secret {
        let signed = call.signature_256.is_some()
            || call.gitea_signature.is_some()
            || call.gitlab_token.is_some();
        if !signed {
            return Err(TriggerError::Unauthorized(
                "this trigger needs a signed call (X-Hub-Signature-256)",
            ));
        }
        if !verify(secret, call) {
            return Err(TriggerError::Unauthorized("the signature does not match"));
        }
    }
    let (full_ref, commit) = pushed_ref(call);
    // A deleted branch or tag: GitHub, Gitea and GitLab send an all-zero commit.
    if commit
        .as_deref()
        .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b == b'0'))
    {
        return Ok(Vec::new());
    }
    // SHA-1 or SHA-256 object names.
    let commit =
        commit.filter(|c| matches!(c.len(), 40 | 64) && c.bytes().all(|b| b.is_ascii_hexdigit()));
    let rules = store::builds::rules(hub.db.pool(), source.repository_id).await?;
    let wanted: Vec<_> = rules
        .into_iter()
        .filter(|r| r.enabled != 0)
        .filter_map(|row| {
            let rule = Rule::from(row.clone());
            match &full_ref {
                Some(full) => {
                    // "main" in a plain POST means the branch.
                    let full = if full.starts_with("refs/") {
                        full.clone()
                    } else {
                        format!("{}{full}", rule.prefix())
                    };
                    rule.tag_for(&full).map(|tag| (row, full, tag))
                }
                None if !rule.is_regex => Some((
                    row,
                    format!("{}{}", rule.prefix(), rule.source),
                    docker_tag(&rule.docker_tag, &rule.source),
                )),
                None => None,
            }
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // A commit applies to one ref only.
    let commit = commit.filter(|_| full_ref.is_some());
    queue(
        hub,
        source.repository_id,
        wanted,
        "trigger",
        None,
        commit.as_deref(),
    )
    .await
    .map_err(|e| match e {
        RepoError::Internal(e) => TriggerError::Internal(e),
        other => TriggerError::Refused(other.to_string()),
    })
}

async fn build_of(hub: &Hub, repo: &Repository, id: i64) -> Result<Build, RepoError> {
    store::builds::build(hub.db.pool(), id)
        .await?
        .filter(|b| b.repository_id == repo.id)
        .map(Build::from)
        .ok_or(RepoError::NotFound)
}

/// One build with its whole log.
pub async fn get(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
) -> Result<(Build, String), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    let build = build_of(hub, &repo, id).await?;
    let (log, _, _) = store::builds::log_since(hub.db.pool(), id, 0)
        .await?
        .unwrap_or_default();
    Ok((build, log))
}

/// The build as it is now, its log from byte `from` on, and where the next read starts (the
/// live build page updates its status, commit, duration and result from it).
pub async fn log_since(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
    from: i64,
) -> Result<(Build, String, i64), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    let (chunk, _, len) = store::builds::log_since(hub.db.pool(), id, from.max(0))
        .await?
        .ok_or(RepoError::NotFound)?;
    // Read after the log: a build that finished meanwhile shows its whole log with its result.
    let build = build_of(hub, &repo, id).await?;
    Ok((build, chunk, len))
}

/// Cancels a queued build, or stops a running one (its worker notices within a second or two).
pub async fn cancel(hub: &Hub, user: &User, full_name: &str, id: i64) -> Result<(), RepoError> {
    let repo = repositories::open_to_manage(hub, user, full_name).await?;
    build_of(hub, &repo, id).await?;
    if !store::builds::cancel(hub.db.pool(), id, clock::now()).await? {
        return Err(RepoError::Refused(
            "This build has already finished.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(source: &str, is_regex: bool, tag: &str) -> Rule {
        Rule {
            id: 1,
            source_type: "branch".into(),
            source: source.into(),
            is_regex,
            docker_tag: tag.into(),
            dockerfile: "Dockerfile".into(),
            context: "/".into(),
            build_args: String::new(),
            enabled: true,
        }
    }

    #[test]
    fn rules_match_refs_and_name_tags() {
        let main = rule("main", false, "latest");
        assert_eq!(main.tag_for("refs/heads/main").as_deref(), Some("latest"));
        assert_eq!(main.tag_for("refs/heads/mainline"), None);
        assert_eq!(main.tag_for("refs/tags/main"), None);
        let any = rule("release/.*", true, "{sourceref}");
        assert_eq!(
            any.tag_for("refs/heads/release/1.2").as_deref(),
            Some("release-1.2")
        );
        assert_eq!(any.tag_for("refs/heads/xrelease/1"), None, "anchored");
    }

    #[test]
    fn build_args_parse_or_say_why_not() {
        assert_eq!(
            parse_args("A=1\n\n B_2 = x=y \n").unwrap(),
            vec![("A".into(), "1".into()), ("B_2".into(), " x=y".into())]
        );
        assert!(parse_args("nokey").is_err());
        assert!(parse_args("1A=2").is_err());
    }

    #[test]
    fn paths_stay_inside_the_repository() {
        assert!(check_path("docker/Dockerfile", "file path").is_ok());
        assert!(check_path("/", "folder").is_ok());
        assert!(check_path("../etc", "folder").is_err());
        assert!(check_path("a/../../b", "folder").is_err());
    }

    #[test]
    fn push_payloads_name_the_ref_and_commit() {
        let call = |body: &'static [u8], query_ref: Option<&'static str>| TriggerCall {
            body,
            signature_256: None,
            gitea_signature: None,
            gitlab_token: None,
            query_ref,
            address: None,
        };
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let github = br#"{"ref":"refs/heads/main","before":"x","after":"0123456789abcdef0123456789abcdef01234567"}"#;
        assert_eq!(
            pushed_ref(&call(github, None)),
            (Some("refs/heads/main".into()), Some(sha.into()))
        );
        let gitlab = br#"{"object_kind":"push","ref":"refs/tags/v1","checkout_sha":"0123456789abcdef0123456789abcdef01234567"}"#;
        assert_eq!(
            pushed_ref(&call(gitlab, None)),
            (Some("refs/tags/v1".into()), Some(sha.into()))
        );
        let form = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fdev%22%2C%22after%22%3A%22abc%22%7D";
        assert_eq!(
            pushed_ref(&call(form, None)),
            (Some("refs/heads/dev".into()), Some("abc".into()))
        );
        let plain = b"ref=refs%2Fheads%2Fmain&after=0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            pushed_ref(&call(plain, None)),
            (Some("refs/heads/main".into()), Some(sha.into()))
        );
        assert_eq!(
            pushed_ref(&call(b"", Some("main"))),
            (Some("main".into()), None)
        );
        assert_eq!(pushed_ref(&call(b"", None)), (None, None));
    }

    #[test]
    fn signatures_are_checked() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let mut m = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        m.update(body);
        let good = format!("sha256={}", hex::encode(m.finalize().into_bytes()));
        let call = |sig: Option<&'static str>, gl: Option<&'static str>| TriggerCall {
            body,
            signature_256: sig,
            gitea_signature: None,
            gitlab_token: gl,
            query_ref: None,
            address: None,
        };
        let good: &'static str = Box::leak(good.into_boxed_str());
        assert!(verify("s3cret", &call(Some(good), None)));
        assert!(!verify("other", &call(Some(good), None)));
        assert!(!verify("s3cret", &call(Some("sha256=00"), None)));
        assert!(verify("s3cret", &call(None, Some("s3cret"))));
        assert!(!verify("s3cret", &call(None, Some("s3cre"))));
    }
}
