// parkwatch viewer: keyboard navigation between changes on the diff screen (j / k, or the buttons).
// Served as a same-origin file: the viewer's CSP allows no inline script.
;(() => {
  let current = -1
  const changes = () => Array.from(document.querySelectorAll('.diff .chg, .metadata .chg'))
  const show = (step) => {
    const list = changes()
    if (list.length === 0) return
    current = Math.min(list.length - 1, Math.max(0, current + step))
    for (const el of list) el.classList.remove('current')
    const el = list[current]
    el.classList.add('current')
    el.scrollIntoView({ block: 'center' })
    const pos = document.querySelector('.changepos')
    if (pos) pos.textContent = `${current + 1} / ${list.length}`
  }
  document.addEventListener('click', (e) => {
    const btn = e.target instanceof Element ? e.target.closest('[data-nav]') : null
    if (btn) show(btn.getAttribute('data-nav') === 'prev' ? -1 : 1)
  })
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const t = e.target
    if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return
    if (e.key === 'j') show(1)
    else if (e.key === 'k') show(-1)
    else if (e.key === '/') {
      const q = document.querySelector('input[name="q"]')
      if (q) {
        e.preventDefault()
        q.focus()
      }
    }
  })
  document.addEventListener('DOMContentLoaded', () => {
    const pos = document.querySelector('.changepos')
    if (pos) pos.textContent = `${changes().length}`
  })
})()
