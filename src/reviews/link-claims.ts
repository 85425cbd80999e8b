import { createHash, randomInt } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { SlackMessage } from '../slack/render/format.ts';
import { LINK_CODE_ALPHABET, LINK_CODE_LENGTH } from './comments.ts';
import { linkedSlackUser, linkPerson, provenByEmail, type LinkProof } from './people.ts';

/**
 * `/tugboat link <login>`: a Slack user says a GitHub login is theirs. The claim stands only
 * once proven, because a link decides whose Slack user review pings and nudges (and their
 * Snooze buttons) reach: by the login's public email being the caller's Slack email, by a
 * one-time code posted from that GitHub account, or by an admin. A proven claim replaces an
 * earlier link, and whoever held it is told.
 */

export const LINK_CODE_TTL_MS = 30 * 60_000;
/** Expired claims are kept this long, so a late code is answered "expired" rather than ignored. */
const EXPIRED_CLAIMS_KEPT_MS = 24 * 60 * 60_000;

type ClaimDeps = Pick<Deps, 'store' | 'github' | 'slack' | 'log' | 'now'>;

export type ClaimOutcome =
  | { kind: 'already_yours' }
  | { kind: 'linked_by_email'; previous?: string }
  /** Not proven yet: the caller is to post the code; `linkedTo` is who holds the link meanwhile. */
  | { kind: 'code'; code: string; expiresAt: Date; linkedTo?: string };

/** A claim to a login that `people:` in tugboat.yml does not map (that mapping wins over links). */
export async function claimLogin(deps: ClaimDeps, login: string, slackUser: string): Promise<ClaimOutcome> {
  const linkedTo = await linkedSlackUser(deps.store, login);
  if (linkedTo === slackUser) return { kind: 'already_yours' };
  if (await provenByEmail(deps, login, slackUser))
    return { kind: 'linked_by_email', previous: await link(deps, login, slackUser, 'email') };
  const { code, expiresAt } = await startClaim(deps, login, slackUser);
  return { kind: 'code', code, expiresAt, linkedTo };
}

/** An admin links a login to someone directly; returns who held it before, if someone else did. */
export function confirmLink(
  deps: Pick<Deps, 'store' | 'now'>,
  login: string,
  slackUser: string,
): Promise<string | undefined> {
  return link(deps, login, slackUser, 'admin');
}

async function link(
  deps: Pick<Deps, 'store' | 'now'>,
  login: string,
  slackUser: string,
  proof: LinkProof,
): Promise<string | undefined> {
  const previous = await linkPerson(deps, login, slackUser, proof);
  // Settled: codes others asked for on this login must not move it again.
  await deps.store.query('delete from link_claims where github_login = $1', [login.toLowerCase()]);
  return previous;
}

async function startClaim(
  deps: Pick<Deps, 'store' | 'now'>,
  login: string,
  slackUser: string,
): Promise<{ code: string; expiresAt: Date }> {
  const now = deps.now();
  const code = newCode();
  const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
  await deps.store.query('delete from link_claims where expires_at < $1', [
    new Date(now.getTime() - EXPIRED_CLAIMS_KEPT_MS),
  ]);
  await deps.store.query(
    `insert into link_claims (github_login, slack_user, code_hash, created_at, expires_at) values ($1, $2, $3, $4, $5)
     on conflict (github_login, slack_user) do update set code_hash = excluded.code_hash, created_at = excluded.created_at, expires_at = excluded.expires_at`,
    [login.toLowerCase(), slackUser, hashOf(code), now, expiresAt],
  );
  return { code, expiresAt };
}

const newCode = () =>
  Array.from({ length: LINK_CODE_LENGTH }, () => LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)]).join('');

const hashOf = (code: string) => createHash('sha256').update(code.toUpperCase()).digest('hex');

export type RedeemOutcome =
  | { kind: 'linked'; login: string; slackUser: string; previous?: string }
  | { kind: 'expired'; login: string; slackUser: string }
  /** The code was posted from another GitHub account than the one claimed: it stays valid for the right one. */
  | { kind: 'wrong_login'; login: string; slackUser: string; postedBy: string };

/** A link code seen in a comment by `postedBy`; undefined when no claim has that code. */
export async function redeemCode(
  deps: Pick<Deps, 'store' | 'now'>,
  postedBy: string,
  code: string,
): Promise<RedeemOutcome | undefined> {
  const hash = hashOf(code);
  // Deleting is what takes the claim, so two replicas handling the same comment link once.
  const [taken] = await deps.store.query<{ github_login: string; slack_user: string; expires_at: Date }>(
    'delete from link_claims where code_hash = $1 and github_login = $2 returning github_login, slack_user, expires_at',
    [hash, postedBy.toLowerCase()],
  );
  if (taken) {
    const { github_login: login, slack_user: slackUser } = taken;
    if (new Date(taken.expires_at).getTime() <= deps.now().getTime()) return { kind: 'expired', login, slackUser };
    return { kind: 'linked', login, slackUser, previous: await link(deps, login, slackUser, 'code') };
  }
  const [other] = await deps.store.query<{ github_login: string; slack_user: string }>(
    'select github_login, slack_user from link_claims where code_hash = $1 and expires_at > $2 limit 1',
    [hash, deps.now()],
  );
  return other && { kind: 'wrong_login', login: other.github_login, slackUser: other.slack_user, postedBy };
}

/** A direct message to a Slack user; a failure is logged, not thrown (the link itself is made). */
export async function tellSlackUser(
  deps: Pick<Deps, 'slack' | 'log'>,
  slackUser: string,
  message: SlackMessage,
): Promise<void> {
  await deps.slack
    .post({ channel: slackUser, ...message })
    .catch((error) => deps.log.warn({ err: error, slackUser }, 'could not tell a Slack user about their GitHub link'));
}
