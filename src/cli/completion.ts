import type { Command } from 'commander';

/** Flags whose value is a kubeconfig context (or a list of them): completed from the kubeconfig. */
const CONTEXT_FLAGS = ['--contexts', '--control-plane', '--context', '-c'];

interface Spec { commands: { name: string; flags: string[] }[]; globalFlags: string[] }

function specOf(program: Command): Spec {
  const flagsOf = (c: Command) => c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
  return {
    globalFlags: [...flagsOf(program), '--help'],
    commands: program.commands.filter((c) => !c.name().startsWith('__')).map((c) => ({ name: c.name(), flags: [...flagsOf(c), '--help'] })),
  };
}

/** A completion script generated from the commands and flags commander knows, so it never goes stale. */
export function completionScript(program: Command, shell: 'bash' | 'zsh' | 'fish'): string {
  const spec = specOf(program);
  const names = spec.commands.map((c) => c.name).join(' ');
  if (shell === 'fish') {
    const lines = [`# k8ssandra completion for fish: k8ssandra completion fish | source`, 'complete -c k8ssandra -f'];
    for (const c of spec.commands) lines.push(`complete -c k8ssandra -n "not __fish_seen_subcommand_from ${names}" -a ${c.name}`);
    for (const c of spec.commands) {
      for (const f of c.flags.filter((f) => f.startsWith('--'))) {
        const ctx = CONTEXT_FLAGS.includes(f) ? ` -r -a "(k8ssandra __contexts 2>/dev/null)"` : '';
        lines.push(`complete -c k8ssandra -n "__fish_seen_subcommand_from ${c.name}" -l ${f.slice(2)}${ctx}`);
      }
    }
    for (const f of spec.globalFlags.filter((f) => f.startsWith('--'))) lines.push(`complete -c k8ssandra -l ${f.slice(2)}`);
    return lines.join('\n') + '\n';
  }
  const cases = spec.commands.map((c) => `    ${c.name}) flags="${[...c.flags, ...spec.globalFlags].join(' ')}" ;;`).join('\n');
  const bash = `# k8ssandra completion for bash: source <(k8ssandra completion bash)
_k8ssandra() {
  local cur prev cmd flags i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i=1; i<COMP_CWORD; i++)); do
    case " ${names} " in *" \${COMP_WORDS[i]} "*) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$prev" in
    ${CONTEXT_FLAGS.join('|')})
      local contexts; contexts="$(k8ssandra __contexts 2>/dev/null)"
      local base="" last="$cur"
      if [[ "$cur" == *,* ]]; then base="\${cur%,*},"; last="\${cur##*,}"; fi
      COMPREPLY=( $(compgen -P "$base" -W "$contexts" -- "$last") ); return ;;
    -o|--output) COMPREPLY=( $(compgen -W "text json yaml" -- "$cur") ); return ;;
    --kubeconfig|--manifests|--cert-manager-manifests) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${spec.globalFlags.join(' ')}" -- "$cur") )
    else COMPREPLY=( $(compgen -W "${names}" -- "$cur") ); fi
    return
  fi
  case "$cmd" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
}
complete -F _k8ssandra k8ssandra
`;
  if (shell === 'bash') return bash;
  // zsh runs the bash function through bashcompinit.
  return `# k8ssandra completion for zsh: source <(k8ssandra completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash.split('\n').slice(1).join('\n')}`;
}
