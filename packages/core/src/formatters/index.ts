import type { Alert, GroupContext } from '../alert/alert';
import type { TargetConfig, TargetType } from '../config/target-config';
import type { AnswerReader, OutboundRequest, TargetService } from './formatter';
import { pagerdutyService } from './pagerduty';
import { rootlyService } from './rootly';
import { slackService } from './slack';
import { teamsService } from './teams';
import { webhookService } from './webhook';

const services: { [K in TargetType]: TargetService<Extract<TargetConfig, { type: K }>> } = {
  webhook: webhookService,
  slack: slackService,
  pagerduty: pagerdutyService,
  rootly: rootlyService,
  teams: teamsService,
};

/** Builds the request for a target with the formatter of its type. */
export function formatFor(alert: Alert, group: GroupContext, target: TargetConfig): OutboundRequest {
  return (services[target.type] as TargetService).format(alert, group, target);
}

/** How the target's service reads its answers, when it reads them its own way. */
export function answerReaderFor(target: TargetConfig): AnswerReader | undefined {
  return services[target.type].readAnswer;
}

export { FormatError, type AnswerReader, type Formatter, type OutboundRequest, type TargetService } from './formatter';
export { pagerdutyService } from './pagerduty';
export { rootlyService } from './rootly';
export { slackService } from './slack';
export { teamsService } from './teams';
export { webhookService } from './webhook';
