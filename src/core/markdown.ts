/**
 * Markdown built from text we do not control (query texts, names from a server, profile names,
 * report files): the text shows as text. Nothing in it can close a code block or become a link,
 * image, HTML, heading, list, emphasis or `$(icon)`. The adapter also keeps its MarkdownStrings
 * untrusted and without HTML, so even a mistake here cannot run a command.
 */

const asciiPunctuation = /[!-/:-@[-`{-~]/g;

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/**
 * A fenced code block that holds `text` whole. A backtick fence closes only at a line of at least as
 * many backticks (tildes never close it), so a fence longer than the text's longest backtick run
 * cannot be closed from inside.
 */
export function markdownCodeBlock(text: string, language = ''): string {
  if (!/^[A-Za-z0-9_+-]*$/.test(language)) throw new Error(`not a code block language: ${JSON.stringify(language)}`);
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

/**
 * Plain text as one line of Markdown: every ASCII punctuation character backslash-escaped (CommonMark
 * lets any be), which leaves no link, autolink, image, HTML, entity, emphasis or icon syntax, and
 * line breaks as spaces, which leaves no heading, list, quote or table.
 */
export function markdownText(text: string): string {
  return text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ').replace(asciiPunctuation, '\\$&');
}
