#!/bin/sh
# A deploy script for `deploy: { via: command, run: ["./examples/deploy.sh"] }`.
# tugboat runs it with no shell around it, from the folder of tugboat.yml, and with:
#   TUGBOAT_DEPLOY_ID  TUGBOAT_SERVICE  TUGBOAT_ENV  TUGBOAT_REPO  TUGBOAT_REF  TUGBOAT_SHA
#   TUGBOAT_REQUESTED_BY (Slack user ID)  TUGBOAT_ROLLBACK_OF (set on a rollback)
# Exit 0 means the deploy succeeded; anything else failed. The last 30 lines of output are
# posted in the deploy's Slack thread, so print what a person would want to read.
set -eu

echo "Deploying $TUGBOAT_SERVICE $TUGBOAT_SHA ($TUGBOAT_REF) to $TUGBOAT_ENV, tugboat deploy #$TUGBOAT_DEPLOY_ID"
if [ -n "${TUGBOAT_ROLLBACK_OF:-}" ]; then
  echo "This is a rollback of deploy #$TUGBOAT_ROLLBACK_OF"
fi

# Replace with your own release steps, for example:
#   git -C "/srv/$TUGBOAT_SERVICE" fetch origin "$TUGBOAT_SHA"
#   git -C "/srv/$TUGBOAT_SERVICE" checkout --detach "$TUGBOAT_SHA"
#   systemctl restart "$TUGBOAT_SERVICE@$TUGBOAT_ENV"
echo "Done."
