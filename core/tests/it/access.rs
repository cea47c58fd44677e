//! The access rule as a table: every kind of asker × public and private × every action, asked
//! of `access::decide` (what every registry request and page asks), of the token endpoint's
//! grant (what a registry token may carry), and of `repositories::open` (what a page shows).
//! On both backends. Organizations and teams will add rows.

use berth_core::{
    access::{self, Action, Refusal, Subject},
    accounts::User,
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
    }
    let askers = [
        ("anonymous", Subject::Anonymous),
        ("other user", Subject::User(other)),
        ("collaborator", Subject::User(collaborator)),
        ("owner", Subject::User(owner)),
        ("site administrator", Subject::User(admin)),
    ];
    // Pull, push, delete, administer: public repository | private repository.
    let expected = [
        ("anonymous", "ALLL", "LLLL"),
        ("other user", "ADDD", "NDNN"),
        ("collaborator", "AADD", "AADD"),
        ("owner", "AAAA", "AAAA"),
        // Administrators manage everything but push only to their own namespace and `library`.
        ("site administrator", "ADAA", "ADAA"),
    ];
    let actions = [
        Action::Pull,
        Action::Push,
        Action::Delete,
        Action::Administer,
    ];
    for ((who, subject), (who2, public, private)) in askers.iter().zip(expected) {
        assert_eq!(*who, who2);
        for (repo_name, want) in [("owner1/open", public), ("owner1/closed", private)] {
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
    }
}
