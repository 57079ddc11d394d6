# bash completion for coscope (installed as
# share/bash-completion/completions/coscope). The commands and options are
# read from the program's own --help texts, so there is no second list to
# keep up to date: `coscope --help` lists the commands ("  NAME  summary"
# lines after "commands:"), `coscope CMD --help` their options.
_coscope()
{
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}

    if [ "$COMP_CWORD" -eq 1 ]; then
        local cmds
        cmds=$("${COMP_WORDS[0]}" --help 2>/dev/null |
               sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    case $prev in
    -o|--output|--screenshot)
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    --keep)
        COMPREPLY=($(compgen -d -- "$cur"))
        return ;;
    esac
    # record and explore run a program: after "--" complete it and its files
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [ "${COMP_WORDS[i]}" = "--" ]; then
            if [ "$i" -eq $((COMP_CWORD - 1)) ]; then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        fi
    done
    if [ "${cur#-}" != "$cur" ]; then
        local opts
        opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
               grep -o -- '--[a-z][a-z-]*' | sort -u)
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    # FILE arguments: traces
    COMPREPLY=($(compgen -f -X '!*.jsonl' -- "$cur") $(compgen -d -- "$cur"))
}
complete -o filenames -F _coscope coscope
