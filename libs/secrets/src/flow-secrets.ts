import { SdkError, type FlowLogger } from '@openflows/sdk';
import type { SecretsService } from './secrets.service';

/**
 * The host side of one run's `getSecret(name)`: the value of the owner's generic secret `name`, its
 * use recorded on the secret (`lastUsedBy` = the flow's name) and written to the run's log as a
 * platform line naming the secret, never its value (once per name and run: platform lines are always
 * kept, and a loop must not flood them). LLM keys are refused: flows use them through `chatCompletion`
 * only, so a key given to a flow for that cannot be read out and sent elsewhere.
 * @param log the run's platform log (not the flow's own lines).
 * @returns a function that throws SdkError SECRET_NOT_FOUND (no such secret of this owner, or a
 *   malformed name) or SECRET_REFUSED (an LLM key).
 */
export function flowSecrets(
  secrets: SecretsService,
  ownerId: string,
  flowName: string,
  log: FlowLogger,
): (name: string) => Promise<string> {
  const logged = new Set<string>();
  const once = (name: string, write: () => void) => {
    if (logged.has(name)) return;
    logged.add(name);
    write();
  };
  return async (name) => {
    const secret = await secrets.reveal(ownerId, name, { usedBy: flowName, kind: 'generic' });
    if (!secret) throw new SdkError('SECRET_NOT_FOUND', `no secret named "${name}" (PUT /api/secrets/${name})`);
    if (secret.kind !== 'generic') {
      once(name, () => log.warn(`getSecret("${name}") refused: it is an LLM key`));
      throw new SdkError('SECRET_REFUSED', `secret "${name}" is an LLM key: flows use it through chatCompletion and cannot read it`);
    }
    once(name, () => log.info(`getSecret("${name}"): the flow read this secret`));
    return secret.value;
  };
}
