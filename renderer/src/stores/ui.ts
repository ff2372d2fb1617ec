// App chrome: current tab and theme (remembered across sessions).
import { create } from 'zustand';

export type Tab = 'inspect' | 'replay' | 'batch' | 'compare';
type Theme = 'dark' | 'light';

function initialTheme(): Theme {
  const saved = localStorage.getItem('loupe.theme');
  if (saved === 'dark' || saved === 'light') return saved;
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

interface UiState {
  tab: Tab;
  theme: Theme;
  actions: { setTab: (t: Tab) => void; toggleTheme: () => void };
}

export const useUiStore = create<UiState>()((set, get) => ({
  tab: 'inspect',
  theme: initialTheme(),
  actions: {
    setTab: (tab) => set({ tab }),
    toggleTheme: () => {
      const theme: Theme = get().theme === 'dark' ? 'light' : 'dark';
      localStorage.setItem('loupe.theme', theme);
      set({ theme });
    },
  },
}));

export const useTab = () => useUiStore((s) => s.tab);
export const useTheme = () => useUiStore((s) => s.theme);
export const useUiActions = () => useUiStore((s) => s.actions);
