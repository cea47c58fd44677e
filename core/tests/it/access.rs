//! The access rule as a table: every kind of asker × public and private × every action, asked
//! of `access::decide` (what every registry request and page asks), of the token endpoint's
//! grant (what a registry token may carry), and of `repositories::open` (what a page shows).
//! On both backends, for a person's repositories and an organization's.

use berth_core::{
    access::{self, Action, Refusal, Subject},
    accounts::User,
    orgs,
    registry::{access::grant, access::parse_scopes, names::RepoName, repos},
    repositories::{self, NewRepo},
    Hub,
};

async fn user(hub: &Hub, name: &str, admin: bool) -> User {
    crate::account(hub, name, true, admin).await
}

/// `A` allowed, `N` does not exist (404 / NAME_UNKNOWN), `L` log in first (401 challenge),
/// `D` denied with a reason (403 / DENIED).
fn letter(decision: Result<access::Role, Refusal>) -> char {
    match decision {
        Ok(_) => 'A',
        Err(Refusal::NotFound) => 'N',
        Err(Refusal::AuthenticationRequired) => 'L',
        Err(Refusal::Denied(_)) => 'D',
    }
}

#[tokio::test]
async fn who_may_do_what_to_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let owner = user(&hub, "owner1", false).await;
    let collaborator = user(&hub, "collab1", false).await;
    let other = user(&hub, "other1", false).await;
    let admin = user(&hub, "admin1", true).await;
    let org_owner = user(&hub, "boss1", false).await;
    let editor = user(&hub, "editor1", false).await;
    let member = user(&hub, "member1", false).await;
    let reader = user(&hub, "reader1", false).await;
    let writer = user(&hub, "writer1", false).await;
    let team_admin = user(&hub, "tadmin1", false).await;
    orgs::create(&hub, &org_owner, "acme1", "Acme", "boss1@example.com")
        .await
        .unwrap();
    for (who, role, team) in [
        (&editor, "editor", None),
        (&member, "member", None),
        (&reader, "member", Some(("readers", "read"))),
        (&writer, "member", Some(("writers", "write"))),
        (&team_admin, "member", Some(("admins", "admin"))),
    ] {
        crate::orgs::join(&hub, &org_owner, "acme1", who, role).await;
        if let Some((team, _)) = team {
            let _ = orgs::create_team(&hub, &org_owner, "acme1", team, "").await;
            orgs::add_team_member(&hub, &org_owner, "acme1", team, &who.username)
                .await
                .unwrap();
        }
    }
    for (name, private) in [("open", false), ("closed", true)] {
        repositories::create(
            &hub,
            &owner,
            NewRepo {
                namespace: "owner1",
                name,
                description: "",
                private,
            },
        )
        .await
        .unwrap();
        repositories::add_collaborator(&hub, &owner, &format!("owner1/{name}"), "collab1")
            .await
            .unwrap();
        // The editor creates the organization's repositories; teams get their permissions.
        repositories::create(
            &hub,
            &editor,
            NewRepo {
                namespace: "acme1",
                name,
                description: "",
                private,
            },
        )
        .await
        .unwrap();
        for (team, permission) in [
            ("readers", "read"),
            ("writers", "write"),
            ("admins", "admin"),
        ] {
            orgs::set_team_permission(&hub, &editor, &format!("acme1/{name}"), team, permission)
                .await
                .unwrap();
        }
    }
    let askers = [
        ("anonymous", Subject::Anonymous),
        ("other user", Subject::User(other)),
        ("collaborator", Subject::User(collaborator)),
        ("owner", Subject::User(owner)),
        ("site administrator", Subject::User(admin)),
        ("organization member", Subject::User(member)),
        ("team read", Subject::User(reader)),
        ("team write", Subject::User(writer)),
        ("team admin", Subject::User(team_admin)),
        ("editor", Subject::User(editor)),
        ("organization owner", Subject::User(org_owner)),
    ];
    // Pull, push, delete, administer on: owner1/open, owner1/closed, acme1/open, acme1/closed.
    let expected = [
        ("anonymous", ["ALLL", "LLLL", "ALLL", "LLLL"]),
        ("other user", ["ADDD", "NDNN", "ADDD", "NDNN"]),
        // Collaborators are a person's repositories' way; organizations use teams.
        ("collaborator", ["AADD", "AADD", "ADDD", "NDNN"]),
        ("owner", ["AAAA", "AAAA", "ADDD", "NDNN"]),
        // Administrators manage everything but push only to their own namespace and `library`.
        ("site administrator", ["ADAA", "ADAA", "ADAA", "ADAA"]),
        // A member sees the organization, and only what their teams give of its repositories.
        ("organization member", ["ADDD", "NDNN", "ADDD", "NDNN"]),
        ("team read", ["ADDD", "NDNN", "ADDD", "ADDD"]),
        ("team write", ["ADDD", "NDNN", "AADD", "AADD"]),
        ("team admin", ["ADDD", "NDNN", "AAAA", "AAAA"]),
        ("editor", ["ADDD", "NDNN", "AAAA", "AAAA"]),
        ("organization owner", ["ADDD", "NDNN", "AAAA", "AAAA"]),
    ];
    let actions = [
        Action::Pull,
        Action::Push,
        Action::Delete,
        Action::Administer,
    ];
    let repos = ["owner1/open", "owner1/closed", "acme1/open", "acme1/closed"];
    assert_eq!(askers.len(), expected.len());
    for ((who, subject), (who2, wants)) in askers.iter().zip(expected) {
        assert_eq!(*who, who2);
        for (repo_name, want) in repos.into_iter().zip(wants) {
            let name = RepoName::parse(repo_name).unwrap();
            let repo = repos::find(&hub, &name).await.unwrap().unwrap();
            let mut got = String::new();
            for action in actions {
                got.push(letter(
                    access::decide(&hub, subject, &repo, action).await.unwrap(),
                ));
            }
            assert_eq!(
                got, want,
                "{who} on {repo_name} (pull, push, delete, administer)"
            );

            // A registry token carries exactly the allowed actions.
            let scope = parse_scopes([format!("repository:{repo_name}:pull,push,delete").as_str()]);
            let granted = grant(&hub, subject, &scope[0]).await.unwrap();
            let allowed: Vec<&str> = ["pull", "push", "delete"]
                .into_iter()
                .zip(want.chars())
                .filter(|(_, c)| *c == 'A')
                .map(|(a, _)| a)
                .collect();
            assert_eq!(granted, allowed, "{who}'s token for {repo_name}");

            // A page exists for whoever may pull.
            let (ns, n) = repo_name.split_once('/').unwrap();
            let page = repositories::open(&hub, subject.user(), ns, n).await;
            assert_eq!(
                page.is_ok(),
                want.starts_with('A'),
                "{who}'s page of {repo_name}"
            );
        }
        // Lists follow the same rule: the organization's page shows what the asker may pull.
        let acme = berth_core::accounts::user_by_name(&hub, "acme1")
            .await
            .unwrap()
            .unwrap();
        let listed: Vec<String> = repositories::visible_of(&hub, subject.user(), &acme)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.full_name)
            .collect();
        let mut may_pull: Vec<&str> = repos[2..]
            .iter()
            .zip(&wants[2..])
            .filter(|(_, w)| w.starts_with('A'))
            .map(|(r, _)| *r)
            .collect();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        may_pull.sort();
        assert_eq!(listed_sorted, may_pull, "{who}'s list of acme1");
    }
}
