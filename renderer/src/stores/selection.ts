// The analysis selection of each view (selection/selection.ts): Inspect, Replay and Compare each hold
// their own and show its controls, so a number in one view never follows a choice made in another.
import { create } from 'zustand';
import { DEFAULT_SELECTION, type AnalysisSelection, type SelectionScope } from '../selection/selection.js';

type Selections = Record<SelectionScope, AnalysisSelection>;

interface SelectionState extends Selections {
  actions: {
    set: (scope: SelectionScope, patch: Partial<AnalysisSelection>) => void;
    reset: (scope: SelectionScope) => void;
  };
}

export const useSelectionStore = create<SelectionState>()((set) => ({
  inspect: DEFAULT_SELECTION,
  replay: DEFAULT_SELECTION,
  compare: DEFAULT_SELECTION,
  actions: {
    set: (scope, patch) => set((s) => ({ [scope]: { ...s[scope], ...patch } }) as Partial<Selections>),
    reset: (scope) => set({ [scope]: DEFAULT_SELECTION } as Partial<Selections>),
  },
}));

export const useSelection = (scope: SelectionScope) => useSelectionStore((s) => s[scope]);
export const useSelectionActions = () => useSelectionStore((s) => s.actions);
