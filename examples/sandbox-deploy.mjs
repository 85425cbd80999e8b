// The sandbox's deploy script: `deploy: { via: command, run: ["node", "sandbox-deploy.mjs"] }` in
// examples/sandbox.yml. tugboat runs it like any deploy command (no shell, from the config's
// folder, with TUGBOAT_DEPLOY_ID, TUGBOAT_SERVICE, TUGBOAT_ENV, TUGBOAT_SHA, …); it "releases" by
// telling the sandbox's demo service which commit now serves, and the demo service answers once
// the rollout is over. Exit 0 is success; what it prints goes in the deploy's Slack thread.
// TUGBOAT_SANDBOX_URL is the sandbox's own address, set by the sandbox in the environment.

const {
  TUGBOAT_SANDBOX_URL,
  TUGBOAT_DEPLOY_ID,
  TUGBOAT_SERVICE,
  TUGBOAT_ENV,
  TUGBOAT_SHA,
  TUGBOAT_REF,
  TUGBOAT_ROLLBACK_OF,
} = process.env;

if (!TUGBOAT_SANDBOX_URL) {
  console.error(
    'TUGBOAT_SANDBOX_URL is not set: this script only deploys to the sandbox started by `npm start -- --sandbox`',
  );
  process.exit(2);
}

console.log(
  `Deploying ${TUGBOAT_SERVICE} ${TUGBOAT_SHA?.slice(0, 7)} (${TUGBOAT_REF}) to ${TUGBOAT_ENV}, tugboat deploy #${TUGBOAT_DEPLOY_ID}`,
);
if (TUGBOAT_ROLLBACK_OF) console.log(`This is a rollback of deploy #${TUGBOAT_ROLLBACK_OF}`);

try {
  const response = await fetch(new URL('/demo/deploy', TUGBOAT_SANDBOX_URL), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      service: TUGBOAT_SERVICE,
      environment: TUGBOAT_ENV,
      sha: TUGBOAT_SHA,
      deploy_id: Number(TUGBOAT_DEPLOY_ID),
    }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    console.error(`The demo service refused the release: ${answer.error ?? `HTTP ${response.status}`}`);
    process.exit(1);
  }
  for (const line of answer.log ?? []) console.log(line);
  console.log(`Done: ${TUGBOAT_SERVICE} in ${TUGBOAT_ENV} now serves ${TUGBOAT_SHA?.slice(0, 7)}.`);
} catch (error) {
  console.error(`Could not reach the sandbox at ${TUGBOAT_SANDBOX_URL}: ${error.message}`);
  process.exit(1);
}
