/**
 * BCP-47 language of a text: `zh-Hans`, `zh-Hant`, `en`, … `declared` (from the page) is a hint only.
 * STUB: replaced by the real implementation.
 */
export function detectLang(text: string, declared: string | null = null): string | null {
  if (/[\u4e00-\u9fff]/.test(text)) return 'zh-Hans'
  return declared
}
