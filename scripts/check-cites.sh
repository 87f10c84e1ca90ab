#!/bin/sh
# check-cites.sh: every citation of the repository's docs must lead somewhere, and nothing may
# cite a document that is not in the repository. Run from the repository root (or give it as
# the argument). Two checks over every text file outside .git, build, bin and the fuzz corpora:
#
#  1. A citation of a page under docs/ names a file that exists. When a section follows
#     ("docs/protocol.md section 6.4 step 4", "docs/architecture.md section 2",
#     "docs/protocol.md sections 1-3, 5, 10 and Appendix B", "docs/protocol.md B.3"), every
#     section named has a heading in that file ("## 6. ...", "### 6.4 ...", "## Appendix B. ...",
#     "### B.3 ..."), and a "step N" or "item N" is a numbered list item "N. " inside it.
#  2. No text names the outside reference documents the project started from (the patterns
#     of check 2 below).
#
# Prints one line per broken citation, "FILE:LINE: what is wrong", and exits 1 if there is any,
# 0 otherwise.
set -u

[ $# -gt 0 ] && { cd "$1" || exit 2; }
[ -d docs ] || { echo "check-cites: no docs/ here: run it from the repository root" >&2; exit 2; }

prune='--exclude-dir=.git --exclude-dir=build --exclude-dir=bin --exclude-dir=corpus'
status=0

# 1. Citations of docs/*.md.
files=$(grep -rlI $prune 'docs/[A-Za-z0-9_.-]*\.md' . | sort)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086 # one word per file name
	awk '
	# Headings of doc file f: sec[f, id] for "## 6. x", "### 6.4 x", "## Appendix B. x",
	# "### B.3 x"; item[f, id, n] for each numbered list item "n. " under id (and its parents).
	function load(f,    line, lvl, h, id, k, n) {
		if (f in loaded)
			return loaded[f]
		if ((getline line < f) < 0) {
			loaded[f] = 0
			return 0
		}
		loaded[f] = 1
		do {
			if (line ~ /^#+ /) {
				lvl = index(line, " ") - 1
				h = substr(line, lvl + 2)
				id = ""
				if (match(h, /^Appendix [A-Z](\.[0-9]+)*([. ]|$)/))
					id = substr(h, 10, RLENGTH - 9)
				else if (match(h, /^([0-9]+(\.[0-9]+)*|[A-Z](\.[0-9]+)+)([. ]|$)/))
					id = substr(h, 1, RLENGTH)
				sub(/[. ]$/, "", id)
				for (k = lvl; k <= 6; k++)
					cur[k] = ""
				cur[lvl] = id
				if (id != "")
					sec[f, id] = 1
			} else if (match(line, /^ *[0-9]+\. /)) {
				n = line
				sub(/^ */, "", n)
				sub(/\..*/, "", n)
				for (k = 1; k <= 6; k++)
					if (cur[k] != "")
						item[f, cur[k], n + 0] = 1
			}
		} while ((getline line < f) > 0)
		close(f)
		return 1
	}
	function bad(msg) {
		fn = FILENAME
		sub(/^\.\//, "", fn)
		printf "%s:%d: %s\n", fn, FNR, msg
		nbad++
	}
	# One section reference; with a range "a-b" of integers every one in between too.
	function check_sec(f, cite, id) {
		if (!((f, id) in sec))
			bad(cite ": no such section in " f)
	}
	{
		line = $0
		off = 0
		while (match(line, /docs\/[A-Za-z0-9_.-]+\.md/)) {
			f = substr(line, RSTART, RLENGTH)
			at = off + RSTART
			off += RSTART + RLENGTH - 1
			line = substr(line, RSTART + RLENGTH)
			# "../docs/x.md" or "foo/docs/x.md" is another path, not ours
			if (at > 1 && substr($0, at - 1, 1) ~ /[A-Za-z0-9_.\/-]/)
				continue
			if (!load(f)) {
				bad(f ": no such file")
				continue
			}
			r = line
			kw = 0
			if (match(r, /^ (sections?|Appendix|§) ?/)) {
				kw = 1
				r = substr(r, RLENGTH + 1)
			} else if (match(r, /^ /)) {
				r = substr(r, 2)
			} else {
				continue
			}
			# the first reference: with a keyword any id; bare, only a dotted one (6.4, B.3)
			if (kw)
				ok = match(r, /^([0-9]+(\.[0-9]+)*|[A-Z](\.[0-9]+)*)/)
			else
				ok = match(r, /^([0-9]+\.[0-9]+(\.[0-9]+)*|[A-Z]\.[0-9]+(\.[0-9]+)*)/)
			if (!ok || substr(r, RLENGTH + 1, 1) ~ /[A-Za-z0-9]/)
				continue
			cite = f
			prev = ""
			range = 0
			for (;;) {
				id = substr(r, 1, RLENGTH)
				r = substr(r, RLENGTH + 1)
				if (range && prev ~ /^[0-9]+$/ && id ~ /^[0-9]+$/)
					for (k = prev + 1; k < id + 0; k++)
						check_sec(f, f " section " prev "-" id, k)
				check_sec(f, f " section " id, id)
				if (match(r, /^ (step|item) [0-9]+/)) {
					n = substr(r, 2, RLENGTH - 1)
					w = n
					sub(/ .*/, "", w)
					sub(/.* /, "", n)
					if (((f, id) in sec) && !((f, id, n + 0) in item))
						bad(f " section " id " " w " " n ": no numbered " w " " n " in section " id)
					r = substr(r, RLENGTH + 1)
				}
				# more references: ", 5", " and 8.3", "-3", " and Appendix B", " and B.4"
				if (!match(r, /^(, and |, | and |-)(sections? |Appendix )?/))
					break
				range = substr(r, 1, 1) == "-"
				rest = substr(r, RLENGTH + 1)
				if (!match(rest, /^([0-9]+(\.[0-9]+)*|[A-Z](\.[0-9]+)*)/) ||
				    substr(rest, RLENGTH + 1, 1) ~ /[A-Za-z0-9]/)
					break
				prev = id
				r = rest
			}
		}
	}
	END { exit (nbad > 0) }
	' $files || status=1
fi

# 2. Documents outside the repository. The patterns are written so that they do not match
# themselves.
pat='PROTOCOL[.]md|FASTPATH[.]md|ARCHITECTURE[.]md|INTERFACE[.]md|STYLE[.]md|[.][.]/shared|steer[i]ng'
# shellcheck disable=SC2086
stale=$(grep -rnIE $prune "$pat" .)
if [ -n "$stale" ]; then
	echo "$stale" | sed 's/^\.\///; s/$/   <- cites a document outside the repository/'
	status=1
fi

[ "$status" -eq 0 ] && echo "check-cites: every citation resolves"
exit "$status"
