#!/bin/sh
# A word-count agent in POSIX sh: counts the words of the files a task names in its description
# (paths relative to assets/, e.g. "count corpus/rivers.txt corpus/switchyards.txt") with `wc -w`,
# and answers with {"counts": {PATH: N, ...}, "total": N}. A file it cannot read fails the attempt
# with a non-retryable error. Like shell_agent.sh it relies on the coordinator's compact field
# order (see assets/protocol.md); it sends no heartbeats, so give it a generous
# `resilience.heartbeat_timeout_ms`.
#
#   sh assets/agents/wordcount.sh [AGENT_ID]     # default id: counter; capability: count

id=${1:-counter}
assets=$(cd "$(dirname "$0")/.." && pwd)

printf '{"type":"hello","protocol":1,"agent":"%s","capabilities":["count"]}\n' "$id"

str='[^"\\]*\(\\.[^"\\]*\)*'

while IFS= read -r line; do
    type=$(printf '%s\n' "$line" | sed -n 's/^{"type":"\([a-z_]*\)".*/\1/p')
    case $type in
    task)
        head="^{\"type\":\"task\",\"id\":\"$str\",\"attempt\":"
        task=$(printf '%s\n' "$line" | sed -n "s/^{\"type\":\"task\",\"id\":\"\($str\)\",.*/\1/p")
        attempt=$(printf '%s\n' "$line" | sed -n "s/$head\([0-9]*\),.*/\2/p")
        description=$(printf '%s\n' "$line" |
            sed -n "s/$head[0-9]*,\"capability\":\"$str\",\"description\":\"\($str\)\",.*/\3/p")
        counts=""
        total=0
        failed=""
        for word in $description; do
            case $word in
            *.txt | *.md) ;;
            *) continue ;;
            esac
            case $word in
            /* | *..*)
                failed="$word is outside the assets directory"
                break
                ;;
            esac
            if ! n=$(wc -w <"$assets/$word" 2>/dev/null); then
                failed="cannot read $word"
                break
            fi
            n=$((n + 0))
            total=$((total + n))
            counts="$counts${counts:+,}\"$word\":$n"
        done
        if [ -n "$failed" ]; then
            printf '{"type":"error","task":"%s","attempt":%s,"message":"%s","retryable":false}\n' \
                "$task" "${attempt:-0}" "$failed"
        else
            printf '{"type":"result","task":"%s","attempt":%s,"output":{"counts":{%s},"total":%s}}\n' \
                "$task" "${attempt:-0}" "$counts" "$total"
        fi
        ;;
    shutdown)
        exit 0
        ;;
    *) ;;
    esac
done
