// Shell completion: `vgglab completion bash|zsh|fish` prints a script that asks `vgglab __complete
// WORDS…` for the candidates of the word being typed: subcommands, flags, a flag's choices
// (configurations, backends, statuses, formats), and run ids from the data folder where a command
// takes a run. The candidates come from the program itself, so they never drift from it.
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell): string {
  if (shell === 'fish') return "complete -c vgglab -f -a '(vgglab __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'\n";
  const bash = [
    '_vgglab() {',
    '  local IFS=$\'\\n\'',
    '  COMPREPLY=( $(vgglab __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )',
    '}',
    'complete -o default -F _vgglab vgglab',
    '',
  ].join('\n');
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}

const long = (o: Option) => o.long ?? o.short ?? '';

/**
 * The candidates for the last of `words` (the word being typed, maybe empty), given the words before
 * it. `runIds` is asked only where a command takes a run.
 */
export async function complete(program: Command, words: string[], runIds: () => Promise<number[]>): Promise<string[]> {
  const typed = words.at(-1) ?? '';
  let cmd = program;
  let positional = 0;
  const before = words.slice(0, -1);
  for (let i = 0; i < before.length; i++) {
    const w = before[i]!;
    const sub = cmd.commands.find((c) => c.name() === w);
    if (sub) {
      cmd = sub;
      positional = 0;
      continue;
    }
    if (w.startsWith('-')) {
      const opt = (cmd.options as Option[]).find((o) => o.long === w || o.short === w);
      if (opt && (opt.required || opt.optional) && !opt.variadic) i += 1;
      continue;
    }
    positional += 1;
  }
  const prev = before.at(-1);
  const prevOpt = prev?.startsWith('-') ? (cmd.options as Option[]).find((o) => o.long === prev || o.short === prev) : undefined;
  let out: string[];
  if (prevOpt && (prevOpt.required || prevOpt.optional)) out = prevOpt.argChoices ?? [];
  else if (typed.startsWith('-')) out = (cmd.options as Option[]).filter((o) => !o.hidden).map(long).concat(cmd === program ? [] : ['--help']);
  else if (cmd.commands.length) out = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
  else {
    const arg = cmd.registeredArguments[Math.min(positional, cmd.registeredArguments.length - 1)];
    out = arg && /^RUN/.test(arg.name()) ? (await runIds()).map(String) : (arg?.argChoices ?? []);
  }
  return out.filter((c) => c.startsWith(typed));
}
