import type { CliCommand } from '../command';
import { parseFlags, UsageError } from '../command';
import type { CompletionShell } from '../completion';
import { completionScript, completionShells } from '../completion';

/** `pgops completion bash|zsh`: prints the completion script of `table` (the CLI's own commands). */
export function completionCommand(table: () => readonly CliCommand[]): CliCommand {
  return {
    name: 'completion',
    summary: 'print a bash or zsh completion script for pgops',
    usage:
      'pgops completion bash|zsh\n' +
      '  bash: add  source <(pgops completion bash)  to ~/.bashrc\n' +
      '  zsh:  add  source <(pgops completion zsh)   to ~/.zshrc, after compinit',
    options: {},
    actions: completionShells,
    run(argv, io) {
      const { positionals } = parseFlags(argv, {}, true);
      const [shell, ...extra] = positionals;
      if (!completionShells.includes(shell as CompletionShell))
        throw new UsageError(shell ? `unknown shell "${shell}": bash or zsh` : 'missing the shell: bash or zsh');
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
      io.out(completionScript(shell as CompletionShell, table()).trimEnd());
      return Promise.resolve(0);
    },
  };
}
