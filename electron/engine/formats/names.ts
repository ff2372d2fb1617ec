// File names for exports that say what is inside: model, bench (or image), date, then what was chosen
// ("loupe-tiny-r2i_loupe-mini_2026-11-21_layer3_mean_prompt.png"). Browser-safe: the app and the CLI
// name files the same way.

/** A name part safe on every file system: letters, digits, '.', '-' and '_' only. */
export function safePart(s: string, max = 60): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, max) || 'x'
  );
}

/** YYYY-MM-DD of a date or an ISO timestamp. */
export function datePart(d: Date | string): string {
  return (typeof d === 'string' ? d : d.toISOString()).slice(0, 10);
}

export function exportName(
  parts: { model: string; subject: string; date: Date | string; detail?: readonly string[] },
  ext: string,
): string {
  const fields = [parts.model, parts.subject, datePart(parts.date), ...(parts.detail ?? [])].map((p) => safePart(p));
  return `${fields.join('_')}.${ext}`;
}
