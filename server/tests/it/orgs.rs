//! Organizations over HTTP, as a browser without JavaScript uses them (forms posted, redirects
//! followed by hand) and as docker's registry client does: create an organization, invite by
//! mail, accept, team permissions, what members and outsiders see, removal felt by a registry
//! token already issued, and a transfer's redirects.

use crate::common;

use common::{reg::Reg, *};
use reqwest::Method;

/// A browser session for a registry user (same password).
async fn web(s: &TestServer, user: &Reg) -> reqwest::Client {
    let (name, password) = user.login.clone().unwrap();
    web_session(s, &name, &password).await
}

async fn status(user: &Reg, method: Method, path: &str, token: &str) -> u16 {
    user.http
        .request(method, user.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_with_plain_forms_and_the_registry() {
    let s = TestServer::shared();
    let owner = Reg::user("orgown", true, false).await;
    let member = Reg::user("orgmem", true, false).await;
    let outsider = Reg::user("orgout", true, false).await;
    let org = unique("acme");
    let oc = web(s, &owner).await;
    let mc = web(s, &member).await;
    let xc = web(s, &outsider).await;

    // Create: bad input comes back next to the field; a good name lands on the new page.
    let (_, html) = submit(
        s,
        &oc,
        "/api/orgs/create",
        "/organizations/new",
        &[
            ("name", member.name()),
            ("display_name", ""),
            ("email", "ops@example.com"),
        ],
    )
    .await;
    assert!(html.contains("already taken"), "{html}");
    let (to, html) = submit(
        s,
        &oc,
        "/api/orgs/create",
        "/organizations/new",
        &[
            ("name", &org),
            ("display_name", "Acme <b>Corp</b>"),
            ("email", "ops@example.com"),
        ],
    )
    .await;
    assert_eq!(to, format!("/u/{org}?created=1"));
    assert!(
        html.contains("Acme &lt;b&gt;Corp&lt;/b&gt;"),
        "the display name is text"
    );
    assert!(html.contains("Organization created"), "{html}");

    // Invite by Berth ID: the mail's link opens the invitation page, which accepts.
    let (_, html) = submit(
        s,
        &oc,
        "/api/orgs/invite",
        &format!("/u/{org}?tab=members"),
        &[("org", &org), ("who", member.name()), ("role", "member")],
    )
    .await;
    assert!(html.contains("Invitation sent"), "{html}");
    let mail = s
        .mail_to(&format!("{}@example.com", member.name()), 1)
        .await;
    assert!(
        mail.contains(&format!("invited you to join {org}")),
        "{mail}"
    );
    let start = mail.find("/invitations/").expect("link");
    let path: String = mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    let token = path.trim_start_matches("/invitations/").to_string();
    let (code, page) = get_html(s, &mc, &path).await;
    assert_eq!(code, 200);
    assert!(page.contains(&org) && page.contains("Accept"), "{page}");
    // The outsider cannot use a Berth ID invitation meant for someone else.
    let (_, refused) = submit(
        s,
        &xc,
        "/api/orgs/answer-invitation",
        &path,
        &[("token", &token), ("answer", "accept")],
    )
    .await;
    assert!(refused.contains("for another Berth ID"), "{refused}");
    let (to, _) = submit(
        s,
        &mc,
        "/api/orgs/answer-invitation",
        &path,
        &[("token", &token), ("answer", "accept")],
    )
    .await;
    assert_eq!(to, format!("/u/{org}?joined=1"));
    let (_, used) = get_html(s, &mc, &path).await;
    assert!(used.contains("not valid"), "single use: {used}");

    // A private repository of the organization, and a team that may read it.
    let repo = format!("{org}/api");
    let (to, _) = submit(
        s,
        &oc,
        "/api/repositories/create",
        "/repositories/new",
        &[
            ("namespace", &org),
            ("name", "api"),
            ("description", ""),
            ("visibility", "private"),
        ],
    )
    .await;
    assert!(to.starts_with(&format!("/r/{repo}")), "{to}");
    owner.push_image(&repo, "v1", b"organization layer").await;
    let (to, _) = submit(
        s,
        &oc,
        "/api/orgs/create-team",
        &format!("/u/{org}?tab=teams"),
        &[("org", &org), ("name", "readers"), ("description", "")],
    )
    .await;
    assert_eq!(to, format!("/u/{org}?tab=teams&team=readers"));
    submit(
        s,
        &oc,
        "/api/orgs/add-team-member",
        &to,
        &[
            ("org", &org),
            ("team", "readers"),
            ("username", member.name()),
        ],
    )
    .await;
    let (_, settings) = submit(
        s,
        &oc,
        "/api/repositories/team-permission",
        &format!("/r/{repo}?tab=settings&section=access"),
        &[
            ("full_name", &repo),
            ("team", "readers"),
            ("permission", "read"),
        ],
    )
    .await;
    assert!(settings.contains("Team permissions saved") && settings.contains("Read-only"));
    assert!(
        !settings.contains("Add collaborator"),
        "organizations use teams"
    );

    // What each sees: the member the repository and the members tab; the outsider neither.
    for (client, sees) in [(&mc, true), (&xc, false)] {
        let (code, _) = get_html(s, client, &format!("/r/{repo}")).await;
        assert_eq!(code == 200, sees, "repository page");
        let (_, page) = get_html(s, client, &format!("/u/{org}?tab=members")).await;
        assert_eq!(
            page.contains(&format!("href=\"/u/{}\"", owner.name())),
            sees,
            "members tab"
        );
        let (_, page) = get_html(s, client, &format!("/u/{org}")).await;
        assert_eq!(
            page.contains(&format!("/r/{repo}")),
            sees,
            "repository listed"
        );
    }
    let (_, dash) = get_html(s, &mc, "/").await;
    assert!(
        dash.contains(&format!("href=\"/u/{org}\"")),
        "the dashboard lists it"
    );

    // The registry: the read team pulls, its push is refused with the reason.
    let token = member
        .token(&[format!("repository:{repo}:pull,push")])
        .await;
    let manifest = format!("/v2/{repo}/manifests/v1");
    assert_eq!(status(&member, Method::GET, &manifest, &token).await, 200);
    let push = member
        .http
        .post(member.url(&format!("/v2/{repo}/blobs/uploads/")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 403);
    assert!(push.text().await.unwrap().contains("may only pull"));
    let outsider_token = outsider.token(&[format!("repository:{repo}:pull")]).await;
    assert_eq!(
        status(&outsider, Method::GET, &manifest, &outsider_token).await,
        404
    );

    // Removal: the token issued before is refused on its next request.
    let (_, html) = submit(
        s,
        &oc,
        "/api/orgs/remove-member",
        &format!("/u/{org}?tab=members"),
        &[("org", &org), ("member", member.name())],
    )
    .await;
    assert!(html.contains("Member removed"), "{html}");
    assert_eq!(status(&member, Method::GET, &manifest, &token).await, 404);
    let (code, _) = get_html(s, &mc, &format!("/r/{repo}")).await;
    assert_eq!(code, 404);
    // The last owner stays.
    let (_, html) = submit(
        s,
        &oc,
        "/api/orgs/remove-member",
        &format!("/u/{org}?tab=members"),
        &[("org", &org), ("member", owner.name())],
    )
    .await;
    assert!(html.contains("needs an owner"), "{html}");

    // Transfer to the owner's namespace: the old page redirects, the old name still pulls.
    let (to, html) = submit(
        s,
        &oc,
        "/api/repositories/transfer",
        &format!("/r/{repo}?tab=settings&section=danger"),
        &[
            ("full_name", &repo),
            ("namespace", owner.name()),
            ("confirm", "api"),
        ],
    )
    .await;
    let moved = format!("{}/api", owner.name());
    assert_eq!(
        to,
        format!("/r/{moved}?tab=settings&section=danger&saved=transfer")
    );
    assert!(html.contains("Repository transferred"), "{html}");
    let res = oc
        .get(s.url(&format!("/r/{repo}/tags/v1?platform=x")))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), format!("/r/{moved}/tags/v1?platform=x"));
    // Someone who may not see it hears nothing of where it went.
    let (code, _) = get_html(s, &xc, &format!("/r/{repo}")).await;
    assert_eq!(code, 404);
    let owner_token = owner.token(&[format!("repository:{repo}:pull")]).await;
    assert_eq!(
        status(&owner, Method::GET, &manifest, &owner_token).await,
        200
    );
    let new_token = owner.token(&[format!("repository:{moved}:pull")]).await;
    assert_eq!(
        status(
            &owner,
            Method::GET,
            &format!("/v2/{moved}/manifests/v1"),
            &new_token
        )
        .await,
        200
    );
}
