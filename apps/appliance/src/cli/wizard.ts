import type { ParseArgsOptionsConfig } from 'node:util';
import type { Capability } from '../model/capability.js';
import type { ApplianceConfig } from '../model/schema.js';
import {
  answerIssues,
  buildConfig,
  defaultMode,
  issueFor,
  labelTaken,
  MODE_EXPLANATIONS,
  MODE_NAMES,
  modeProblem,
  QUESTIONS,
  type WizardAnswers,
} from '../model/wizard-plan.js';
import { CLIENT_OPTIONS_HELP, type CommandContext, type CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';
import { Prompter } from './prompt.js';

const MAX_TRIES = 5;

const flagOptions: ParseArgsOptionsConfig = Object.fromEntries(
  QUESTIONS.map((question) => [question.flag, { type: 'string' }]),
);

/** The mode's default is the host's (defaultMode): said in words, not as the question's fixed one. */
const defaultHelp = (q: (typeof QUESTIONS)[number]) =>
  q.key === 'mode' ? 'dr where the host has IPVS, else snat' : q.default?.({}) || 'empty';

const flagHelp = QUESTIONS.map(
  (q) => `  --${q.flag.padEnd(20)}${q.prompt}${q.default ? ` [${defaultHelp(q)}]` : ''}`,
).join('\n');

type Answers = Partial<Record<keyof WizardAnswers, unknown>>;

async function collect(
  ctx: CommandContext,
  current: ApplianceConfig,
  capabilities: readonly Capability[],
): Promise<WizardAnswers> {
  const nonInteractive = ctx.values['non-interactive'] === true;
  const replace = ctx.values.replace === true;
  const answers: Answers = {};
  const prompter = nonInteractive ? undefined : new Prompter(ctx.io);
  const say = (text: string) => {
    // With --json stdout holds only the result: questions and explanations go to stderr.
    if (ctx.json) ctx.io.err(text);
    else ctx.io.out(text);
  };
  // The model's rules, as the configuration editor applies them, on the answers so far.
  const check = (key: keyof WizardAnswers, value: unknown): string | undefined => {
    // Only what this host can run (as the web wizard offers it).
    if (key === 'mode') return modeProblem(capabilities, String(value));
    if (key === 'label' && !replace && labelTaken(current, value as string)) {
      return `a virtual service is already labelled "${String(value)}" (choose another label, or --replace)`;
    }
    return issueFor(answerIssues(current, { ...(answers as Partial<WizardAnswers>), [key]: value }), key)?.message;
  };
  const defaultOf = (question: (typeof QUESTIONS)[number], view: Partial<WizardAnswers>) =>
    question.key === 'mode' ? defaultMode(capabilities) : question.default?.(view);
  try {
    for (const question of QUESTIONS) {
      const view = answers as Partial<WizardAnswers>;
      if (question.skip?.(view)) continue;
      const flag = ctx.values[question.flag] as string | undefined;
      if (flag !== undefined || nonInteractive) {
        const text = flag ?? defaultOf(question, view);
        if (text === undefined) {
          throw new CliError(EXIT.usage, `--${question.flag} is required with --non-interactive`, 'CLI_USAGE');
        }
        const parsed = question.parse(text.trim(), view);
        const problem = parsed.ok ? check(question.key, parsed.value) : parsed.error;
        if (problem !== undefined || !parsed.ok) {
          throw new CliError(EXIT.usage, `--${question.flag} ${JSON.stringify(text)}: ${problem}`, 'CLI_USAGE', {
            field: question.flag,
          });
        }
        answers[question.key] = parsed.value;
        continue;
      }
      const explanation = question.explain?.(view);
      if (explanation !== undefined) say(`\n${explanation}\n`);
      const fallback = defaultOf(question, view);
      for (let tries = 1; ; tries++) {
        const reply = await (prompter as Prompter).ask(
          `${question.prompt}${fallback === undefined ? '' : ` [${fallback || 'empty'}]`}: `,
        );
        if (reply === undefined) {
          throw new CliError(EXIT.usage, `no answer on stdin for "${question.prompt}"`, 'CLI_USAGE', {
            field: question.flag,
          });
        }
        const parsed = question.parse(reply === '' ? (fallback ?? '') : reply, view);
        const problem = parsed.ok ? check(question.key, parsed.value) : parsed.error;
        if (parsed.ok && problem === undefined) {
          answers[question.key] = parsed.value;
          break;
        }
        say(`  ${problem}`);
        if (tries >= MAX_TRIES) {
          throw new CliError(EXIT.usage, `${question.prompt}: ${problem}`, 'CLI_USAGE', { field: question.flag });
        }
      }
    }
    const complete = answers as Partial<WizardAnswers>;
    complete.internalAddress ??= '';
    complete.internalInterface ??= '';
    complete.serverPort ??= complete.port as number;
    if (!nonInteractive && ctx.values.yes !== true) {
      say(`\n${summary(complete as WizardAnswers)}`);
      const confirm = await (prompter as Prompter).ask('Commit this configuration? [yes]: ');
      if (confirm === undefined || !['', 'y', 'yes'].includes(confirm.toLowerCase())) {
        throw new CliError(EXIT.failed, 'not confirmed: nothing was changed', 'CLI_NOT_CONFIRMED');
      }
    }
    return complete as WizardAnswers;
  } finally {
    prompter?.close();
  }
}

export function summary(answers: WizardAnswers): string {
  const mode = MODE_NAMES[answers.mode];
  const server = `${answers.serverAddress}${answers.mode === 'dr' ? '' : `:${answers.serverPort}`}`;
  return [
    `this node   ${answers.address} on ${answers.interface}${answers.gateway ? `, gateway ${answers.gateway}` : ''}`,
    ...(answers.mode === 'nat' ? [`internal    ${answers.internalAddress} on ${answers.internalInterface}`] : []),
    `service     ${answers.label}: ${mode}, VIP ${answers.vip}:${answers.port}`,
    `real server ${answers.serverLabel}: ${server}`,
  ].join('\n');
}

export const wizardCommand: CommandSpec = {
  name: 'wizard',
  summary: 'wizard [--non-interactive ...]   first configuration: address, mode, VIP, first real server',
  usage: `wizard [--non-interactive] [--yes] [--replace] [--json] [answers as flags] [--url URL] [--data-dir DIR]
  Asks on the console (or takes from flags) the web wizard's questions, explains what the
  chosen mode needs of the real servers, and commits the result as a new configuration version.
  --non-interactive  ask nothing: flags or defaults only (exit 2 for a missing or invalid answer)
  --yes              commit without the final confirmation
  --replace          a service with the same label is replaced
${flagHelp}
${CLIENT_OPTIONS_HELP}`,
  options: {
    ...flagOptions,
    'non-interactive': { type: 'boolean', default: false },
    yes: { type: 'boolean', short: 'y', default: false },
    replace: { type: 'boolean', default: false },
  },
  async run(ctx) {
    const client = await ctx.client();
    // Read the current configuration first: an unreachable daemon fails before any question.
    const { body: current } = await client.call<{ version: number; config: ApplianceConfig }>('GET', '/config');
    // What this host can run (GET /health with the CLI's token): the modes offered, the default.
    const { body: health } = await client.call<{ capabilities?: Capability[] }>('GET', '/health');
    const answers = await collect(ctx, current.config, health.capabilities ?? []);
    const config = buildConfig(current.config, answers);
    const { body } = await client.call<{ version: number; warnings?: { code?: string; message?: string }[] }>(
      'PUT',
      `/config?version=${current.version}&comment=${encodeURIComponent('console wizard')}`,
      config,
    );
    const warnings = body.warnings ?? [];
    ctx.print(
      [
        `committed configuration version ${body.version}`,
        ...warnings.map((w) => `  warning: ${w.message}`),
        ...(ctx.values['non-interactive'] === true ? ['', MODE_EXPLANATIONS[answers.mode]] : []),
      ].join('\n'),
      { ...body, answers, note: MODE_EXPLANATIONS[answers.mode] },
    );
    return EXIT.ok;
  },
};
