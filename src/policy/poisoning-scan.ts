/**
 * @module The poisoning scan: what research on tool poisoning (Invariant Labs' tool-poisoning and
 * shadowing examples; the MCP security best practices) shows in descriptions a model reads, as one table
 * of rules with ids. Every description and title in a definition is scanned, nested schema properties
 * included; names too for invisible characters. A finding names its rule, where it was, and a short
 * excerpt. Pure. Tuned against the real descriptions of popular servers (test/fixtures/real-tool-lists):
 * they raise nothing.
 */

/** One finding: the rule, the field it was found in, an excerpt around it. */
export interface Finding {
  rule: string;
  path: string;
  excerpt: string;
}

interface Rule {
  id: string;
  /** What it catches, for people (README, the approvals API). */
  about: string;
  test(text: string): RegExpExecArray | null;
}

const re = (r: RegExp) => (text: string) => r.exec(text);

/** A description longer than this is flagged (the longest real one seen: firecrawl-mcp's, ~7,000). */
export const MAX_DESCRIPTION_CHARS = 10_000;

export const RULES: readonly Rule[] = [
  {
    id: 'hidden-instruction-tag',
    about:
      'markup that addresses the model instead of the user: <IMPORTANT>, <system>, <instructions>, [INST], <|im_start|>',
    test: re(
      /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|assistant)\b[^>]{0,40}>|\[\/?INST\]|<\|im_(start|end)\|>/i,
    ),
  },
  {
    id: 'ignore-instructions',
    about: '"ignore/disregard/forget (all) previous instructions" and the like',
    test: re(
      /\b(ignore|disregard|forget|override)\b[^.]{0,40}\b(previous|prior|above|earlier|all|any|other|system)\b[^.]{0,25}\b(instructions?|prompts?|rules|guidelines|directives)\b/i,
    ),
  },
  {
    id: 'conceal-from-user',
    about: '"do not tell the user", "without informing the user", "keep this secret"',
    test: re(
      /\b(do not|don['’]t|never|must not|should not)\s+(tell|inform|mention|reveal|notify|show|alert|let)\b[^.]{0,30}\buser\b|\bwithout\s+(telling|informing|notifying|alerting)\s+(the\s+)?user\b|\b(keep|this is) (this |it )?(a )?secret\b/i,
    ),
  },
  {
    id: 'secret-file',
    about:
      'references to keys and credentials: ~/.ssh, id_rsa, .env, .aws/credentials, .npmrc, .netrc, /etc/shadow, MCP client configurations',
    test: re(
      /~\/\.ssh\b|\bid_(rsa|dsa|ecdsa|ed25519)\b|(^|[\s'"`(/])\.env\b(?!\s*(var|variable))|\.aws\/credentials|\.npmrc\b|\.pypirc\b|\.netrc\b|\.git-credentials\b|\/etc\/(passwd|shadow)\b|\.kube\/config\b|\.docker\/config\.json|claude_desktop_config\.json|\bmcp\.json\b/i,
    ),
  },
  {
    id: 'exfiltration-url',
    about: 'sending data to a URL: "send/post/upload … to https://…", URLs with a placeholder for data',
    test: re(
      /\b(send|post|upload|forward|exfiltrate|transmit|leak)\b[^.]{0,60}\bto\s+(https?:\/\/|\S+@\S+\.\w+)|https?:\/\/[^\s"'<>]*[?&][\w-]+=(\{|\$\{|<|%7B)/i,
    ),
  },
  {
    id: 'shadowing',
    about:
      'a description that rules over other tools: "when this tool is available, the send_email tool must …"',
    test: re(
      /\b(when|while|if)\s+this\s+tool\s+is\s+(available|present|loaded|installed)\b|\b(also present|other)\s+\w*\s*tools?\b[^.]{0,60}\b(must|shall|always)\b/i,
    ),
  },
  {
    id: 'invisible-characters',
    about: 'zero-width, bidirectional-control and tag characters: text a person does not see',
    test: re(/[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/),
  },
  {
    id: 'ansi-escape',
    about: 'terminal escape sequences (hide or rewrite text in a terminal client)',
    // ESC (0x1B) followed by a sequence introducer, or the one-byte CSI (0x9B).
    test: re(new RegExp(`${String.fromCharCode(0x1b)}[[\\]()#;?]|${String.fromCharCode(0x9b)}`)),
  },
  {
    id: 'very-long-description',
    about: `a description longer than ${MAX_DESCRIPTION_CHARS} characters (room to hide instructions)`,
    test: (text) => (text.length > MAX_DESCRIPTION_CHARS ? (/^/.exec(text) as RegExpExecArray) : null),
  },
];

const TEXT_KEYS = new Set(['description', 'title']);

/** Every string a model reads in a definition, with its path (descriptions and titles at any depth). */
function* texts(v: unknown, at: string, named: boolean): Generator<[string, string]> {
  if (typeof v === 'string') {
    if (named) yield [at, v];
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield* texts(v[i], `${at}[${i}]`, named);
    return;
  }
  if (v && typeof v === 'object')
    for (const [k, child] of Object.entries(v)) {
      const path = at ? `${at}.${k}` : k;
      yield* texts(
        child,
        path,
        TEXT_KEYS.has(k) || (k === 'name' && at === '') || (named && typeof child === 'string'),
      );
    }
}

/** What the rules find in a definition (tool, prompt or resource template); empty when nothing. */
export function scanDefinition(def: unknown): Finding[] {
  const found: Finding[] = [];
  for (const [path, text] of texts(def, '', false))
    for (const rule of RULES) {
      const m = rule.test(text);
      if (!m) continue;
      const from = Math.max(0, m.index - 30);
      found.push({
        rule: rule.id,
        path,
        excerpt: text.slice(from, m.index + Math.max(m[0].length, 1) + 30).slice(0, 160),
      });
    }
  return found;
}
