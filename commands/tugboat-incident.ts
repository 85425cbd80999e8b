import type { Deps } from '../src/deps.ts';
import { incidentEvents, incidentInChannel } from '../src/incidents/index.ts';
import { plain } from '../src/slack/render/format.ts';
import { incidentTimeline } from '../src/slack/render/incidents.ts';
import type { Reply } from './types.ts';

/** `/tugboat incident`: in an incident channel, the incident's timeline so far. */
export async function incident(channelId: string, reply: Reply, deps: Pick<Deps, 'store'>): Promise<void> {
  const found = await incidentInChannel(deps.store, channelId);
  if (!found)
    return reply(
      plain('This is not an incident channel: run `/tugboat incident` in the channel tugboat opened for the incident.'),
    );
  await reply(incidentTimeline(found, await incidentEvents(deps.store, found.id)));
}
