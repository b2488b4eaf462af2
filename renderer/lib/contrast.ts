// Colour variables that keep text at WCAG 2.1 AA (4.5:1). Mantine's defaults draw
// "dimmed" text in gray-6 (3.3:1 on white), light badges' text in shade 6
// (2.5–3.6:1 on their tint) and filled yellow/orange/teal too light for white text.
// TEXT: the shade-9 colour darkened until it reaches 4.8:1 on white, on shade 1
// and on the light-variant tint (shade 6 at 10%). FILLED: shade 8 darkened until
// white text on it reaches 4.6:1. (Computed once with the WCAG formula; kept as
// values because axe and browsers must see plain colours.)
const TEXT: Record<string, string> = {
  gray: '#212529', red: '#b92727', pink: '#a61e4d', grape: '#862e9c', violet: '#5f3dc4', indigo: '#364fc7', blue: '#1864ab',
  cyan: '#0a697a', teal: '#077554', green: '#247534', lime: '#48730a', yellow: '#a55500', orange: '#a9380c',
};
const FILLED: Record<string, string> = {
  gray: '#495057', red: '#d02e2e', pink: '#c2255c', grape: '#9c36b5', violet: '#6741d9', indigo: '#3b5bdb', blue: '#1971c2',
  cyan: '#0b7c8e', teal: '#087e5a', green: '#267f37', lime: '#4c7e0b', yellow: '#a76100', orange: '#c94d0a',
};

export function contrastVariables(): Record<string, string> {
  const v: Record<string, string> = { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' };
  for (const c of Object.keys(TEXT)) {
    v[`--mantine-color-${c}-light-color`] = TEXT[c];
    v[`--mantine-color-${c}-text`] = TEXT[c];
    v[`--mantine-color-${c}-outline`] = TEXT[c];
    v[`--mantine-color-${c}-filled`] = FILLED[c];
    v[`--mantine-color-${c}-filled-hover`] = TEXT[c];
  }
  return v;
}
