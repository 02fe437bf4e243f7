// A frontend's main flows against palabre, written with openapi-fetch on the types openapi-typescript
// generates from api-spec/openapi.json. CI type-checks it with `tsc --strict` (it is not run): a path
// or operation renamed, a field retyped, an enumeration changed or a request header (Idempotency-Key,
// If-None-Match) dropped breaks this file. Response headers are read from the fetch `Response`, which
// openapi-fetch does not type: the suite's response observer (tests/api/support/contract.rs) holds
// those to the document instead.

import createClient from "openapi-fetch";
import type { components, paths } from "./palabre";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type Notification = Schemas["Notification"];

export const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8080" });

/** A problem's field errors, by field name (RFC 9457 `errors`). */
export function fieldErrors(problem: Problem): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of problem.errors ?? []) out.set(e.field, e.message);
  return out;
}

/** What a problem means to the UI: every kind is known, so this switch is exhaustive. */
export function explain(problem: Problem): string {
  switch (problem.type) {
    case "urn:palabre:problem:validation":
      return [...fieldErrors(problem)].map(([f, m]) => `${f}: ${m}`).join("\n");
    case "urn:palabre:problem:unauthorized":
      return "Connectez-vous.";
    case "urn:palabre:problem:rate-limited":
      return "Trop de requêtes : réessayez plus tard.";
    case "urn:palabre:problem:bad-request":
    case "urn:palabre:problem:forbidden":
    case "urn:palabre:problem:not-found":
    case "urn:palabre:problem:method-not-allowed":
    case "urn:palabre:problem:request-timeout":
    case "urn:palabre:problem:conflict":
    case "urn:palabre:problem:payload-too-large":
    case "urn:palabre:problem:uri-too-long":
    case "urn:palabre:problem:unsupported-media-type":
    case "urn:palabre:problem:header-fields-too-large":
    case "urn:palabre:problem:internal":
    case "urn:palabre:problem:unavailable":
      return problem.detail ?? problem.title;
    default: {
      const unknown: never = problem.type;
      return unknown;
    }
  }
}

/** A notification's line in the bell menu: a kind the switch forgets does not compile. */
export function describe(n: Notification): string {
  const who = n.actor === null ? "palabre" : n.actor.display_name;
  switch (n.kind) {
    case "reply":
      return `${who} vous a répondu dans « ${n.target.title} »`;
    case "mention":
      return `${who} vous a mentionné`;
    case "watched_reply":
      return `Nouvelle réponse dans « ${n.target.title} »`;
    case "new_thread":
      return `Nouveau sujet : « ${n.target.title} »`;
    case "accepted_answer":
      return "Votre réponse a été acceptée";
    case "challenge_status":
    case "challenge_match":
    case "pledge":
      return `Défi « ${n.target.title} »`;
    case "organisation_admin_handed_over":
    case "organisation_without_members":
      return `Organisation « ${n.target.title} »`;
    case "moderation_decision":
    case "flag_outcome":
    case "held_approved":
    case "appeal_outcome":
      return `Modération : « ${n.target.title} » (${n.decision_id ?? "—"})`;
    case "commun_milestone":
    case "commun_resource":
      // The target is the commun: GET /communs/{slug} takes its id too.
      return `Commun : ${n.target.title}`;
    case "commun_news":
      // The target is the news thread.
      return `Actualité : ${n.target.title}`;
    case "wiki_edit":
      return `Wiki modifié : ${n.target.title}`;
    case "webhook_disabled":
      // The target is the hook (administrators): GET /admin/webhooks/{id}.
      return `Webhook désactivé : ${n.target.title}`;
    default: {
      const unknown: never = n.kind;
      return unknown;
    }
  }
}

/** One page of the latest threads of a category, conditional on the ETag of the copy held. */
function threadsPage(category: string | undefined, cursor: string | null, etag: string | null) {
  return api.GET("/api/v1/threads", {
    params: {
      query: {
        sort: "latest",
        limit: 20,
        ...(category === undefined ? {} : { category }),
        ...(cursor === null ? {} : { cursor }),
      },
      header: etag === null ? {} : { "If-None-Match": etag },
    },
  });
}

export async function mainFlows(): Promise<void> {
  // Register: a 422 names its fields.
  const reg = await api.POST("/api/v1/auth/register", {
    body: {
      username: "maelle",
      email: "maelle@example.org",
      password: "Forêt domaniale de Paimpont 1789!",
      locale: "fr",
    },
  });
  if (reg.error) {
    console.log(explain(reg.error));
    console.log(fieldErrors(reg.error).get("password"));
  } else {
    const location: string | null = reg.response.headers.get("Location");
    console.log(reg.data.username, reg.data.email, location);
  }

  // Log in, then refresh.
  const login = await api.POST("/api/v1/auth/login", {
    body: { login: "maelle", password: "Forêt domaniale de Paimpont 1789!" },
  });
  if (login.error) {
    const retry: string | null = login.response.headers.get("Retry-After");
    throw new Error(`${explain(login.error)} ${retry ?? ""}`);
  }
  const tokenType: "Bearer" = login.data.token_type;
  const refreshed = await api.POST("/api/v1/auth/refresh", {
    body: { refresh_token: login.data.refresh_token },
  });
  if (refreshed.error) throw new Error(explain(refreshed.error));
  const auth = { Authorization: `${tokenType} ${refreshed.data.access_token}` };

  // Me.
  const me = await api.GET("/api/v1/me", { headers: auth });
  if (me.error) {
    const challenge: string | null = me.response.headers.get("WWW-Authenticate");
    throw new Error(`${explain(me.error)} ${challenge ?? ""}`);
  }
  const digest: "never" | "daily" | "weekly" = me.data.digest_frequency;
  console.log(me.data.email, digest);

  // Everything kept about me (GDPR), typed section by section.
  const mine = await api.GET("/api/v1/me/export", { headers: auth });
  if (mine.data) {
    const sessions: number = mine.data.sessions.length;
    const drafts = mine.data.moderation.held_drafts.map((d) => d.status);
    const orgs = mine.data.organisations.map((m) => `${m.name} (${m.role})`);
    console.log(mine.data.account.username, sessions, drafts, orgs, mine.data.discussions.posts.length);
  }

  // Categories, then the latest threads page after page.
  const categories = await api.GET("/api/v1/categories");
  const first = categories.data?.items[0];
  let cursor: string | null = null;
  do {
    const page = await threadsPage(first?.slug, cursor, null);
    if (page.error) throw new Error(explain(page.error));
    for (const t of page.data.items) {
      const poster: string = t.last_poster === null ? "—" : t.last_poster.username;
      console.log(t.title, t.reply_count, poster);
    }
    cursor = page.data.next_cursor;
  } while (cursor !== null);

  // Polling the first page: re-read only when it changed (ETag / If-None-Match, 304).
  const held = await threadsPage(first?.slug, null, null);
  const etag = held.response.headers.get("ETag");
  const again = await threadsPage(first?.slug, null, etag);
  if (again.response.status === 304) console.log("unchanged");
  else if (again.data) console.log(again.data.items.length, "threads, changed");

  // A thread, its replies, a reply made safe to retry, a reaction.
  const threadId = "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f";
  const thread = await api.GET("/api/v1/threads/{id}", { params: { path: { id: threadId } } });
  if (thread.error) throw new Error(explain(thread.error));
  const replies = await api.GET("/api/v1/threads/{id}/posts", {
    params: { path: { id: threadId }, query: { limit: 50 } },
  });
  for (const p of replies.data?.items ?? []) {
    const mine: Schemas["ReactionKind"][] = p.my_reactions;
    const likes: number = p.reactions.like ?? 0;
    console.log(p.number, p.body_html, mine, likes, p.edited_at ?? "jamais modifié");
  }
  const reply = await api.POST("/api/v1/threads/{id}/posts", {
    params: {
      path: { id: threadId },
      header: { "Idempotency-Key": "c0a8e2f4-reply-1" },
    },
    body: { body: "Je confirme : les données du cadastre sont à jour." },
    headers: auth,
  });
  if (reply.error) throw new Error(explain(reply.error));
  // 201: published; 202: held for a moderator (its Location is the held draft).
  const where: string | null = reply.response.headers.get("Location");
  console.log(reply.response.status, where);
  if (reply.response.status === 201 && "number" in reply.data) {
    const reacted = await api.PUT("/api/v1/posts/{id}/reactions/{kind}", {
      params: { path: { id: reply.data.id, kind: "thanks" } },
      headers: auth,
    });
    if (reacted.error) throw new Error(explain(reacted.error));
  }

  // A new thread: published (201) or held for a moderator (202).
  const created = await api.POST("/api/v1/threads", {
    params: { header: { "Idempotency-Key": "c0a8e2f4-thread-1" } },
    body: {
      category: first?.slug ?? "general",
      title: "Relevés LiDAR du littoral : qui les a ?",
      body: "Nous cherchons des relevés récents entre Brest et Quimper.",
      kind: "question",
    },
    headers: auth,
  });
  if (created.error) throw new Error(explain(created.error));

  // Notifications, page after page; some marked read by id, then all.
  const notes = await api.GET("/api/v1/notifications", {
    params: { query: { unread: true, limit: 50 } },
    headers: auth,
  });
  for (const n of notes.data?.items ?? []) console.log(describe(n));
  const firstIds = (notes.data?.items ?? []).slice(0, 10).map((n) => n.id);
  await api.POST("/api/v1/notifications/read", { body: { ids: firstIds }, headers: auth });
  const read = await api.POST("/api/v1/notifications/read", {
    body: { all: true },
    headers: auth,
  });
  if (read.error) throw new Error(explain(read.error));

  // Search, French first.
  const hits = await api.GET("/api/v1/search", { params: { query: { q: "cadastre solaire" } } });
  for (const h of hits.data?.items ?? []) {
    const kind: "thread" | "post" | "challenge" | "commun" | "resource" = h.type;
    // Always sent, `null` when there is none: two states, not three.
    const by: string = h.author === null ? "—" : h.author.username;
    const where: string | null = h.thread_id;
    console.log(kind, h.title, h.snippet_html, by, where);
  }

  // A challenge, the map, a pledge and a flag.
  const challenges = await api.GET("/api/v1/challenges", { params: { query: { limit: 10 } } });
  const challenge = challenges.data?.items[0];
  const map = await api.GET("/api/v1/challenges.geojson");
  for (const f of map.data?.features ?? []) console.log(f.properties.title, f.geometry.type);
  if (challenge) {
    const pledge = await api.POST("/api/v1/challenges/{id}/pledges", {
      params: { path: { id: challenge.id } },
      body: {
        organisation_id: "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60",
        kind: "data",
        message: "Nous ouvrons nos relevés LiDAR du littoral.",
      },
      headers: auth,
    });
    if (pledge.error) throw new Error(explain(pledge.error));
    const flag = await api.POST("/api/v1/flags", {
      body: {
        target_type: "challenge",
        target_id: challenge.id,
        reason: "spam",
      },
      headers: auth,
    });
    if (flag.error) console.log(explain(flag.error));
  }

  // The digest: preview it, follow themes and a territory; an email-only subscription and its
  // unsubscribe link.
  const preview = await api.GET("/api/v1/me/digest/preview", {
    params: { query: { format: "json" } },
    headers: auth,
  });
  if (preview.data && typeof preview.data !== "string") {
    const d = preview.data;
    const unread: number | null = d.unread_notifications;
    for (const w of d.watched) console.log(w.title, w.new_replies, w.top_reply?.excerpt ?? "");
    for (const c of d.challenge_updates) for (const s of c.status_changes) console.log(c.title, s.label);
    console.log(d.subject, d.period.from, d.recipient.frequency, unread, d.links.unsubscribe);
  }
  const interests = await api.PUT("/api/v1/me/digest/interests", {
    body: { themes: ["biodiversite"], territory: "29" },
    headers: auth,
  });
  if (interests.data) console.log(interests.data.territory?.name ?? "—");
  const subscribed = await api.POST("/api/v1/subscribers", {
    body: { email: "camille@example.org", frequency: "weekly", day: 1, hour: 8, locale: "fr" },
  });
  if (subscribed.response.status === 202) console.log(subscribed.data?.status);
  const confirmed = await api.POST("/api/v1/subscribers/confirm", { body: { token: "from-the-link" } });
  if (confirmed.error) console.log(explain(confirmed.error));
  const stop = await api.POST("/api/v1/unsubscribe/{token}", {
    params: { path: { token: "from-the-link" }, query: { frequency: "weekly" } },
  });
  if (stop.data && typeof stop.data !== "string") {
    const lower: ("daily" | "weekly")[] = stop.data.lower_frequencies;
    console.log(stop.data.subscribed, stop.data.email ?? "—", lower);
  }

  // Communs: the list by territory, a resource with its licence, a challenge taken up.
  const communs = await api.GET("/api/v1/communs", { params: { query: { territory: "53", status: "active" } } });
  const commun = communs.data?.items[0];
  if (commun) {
    const maintainers: string[] = commun.maintainers.map((m) => m.username);
    console.log(commun.slug, commun.status, commun.cohort ?? "—", maintainers);
    const licences = await api.GET("/api/v1/licences");
    const resource = await api.POST("/api/v1/communs/{slug}/resources", {
      params: { path: { slug: commun.slug } },
      body: {
        kind: "dataset",
        title: "Adresses de Bretagne",
        url: "https://www.data.gouv.fr/datasets/bal",
        licence: licences.data?.[0]?.id ?? "etalab-2.0",
      },
      headers: auth,
    });
    if (resource.data) console.log(resource.data.commun.slug, resource.data.challenges.length);
    const timeline = await api.GET("/api/v1/communs/{slug}/timeline", { params: { path: { slug: commun.slug } } });
    for (const e of timeline.data ?? []) console.log(e.kind, e.date, e.title, e.state);
  }
}
