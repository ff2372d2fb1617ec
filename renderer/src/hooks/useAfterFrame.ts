// A value that follows `value` one painted frame later. The heatmap paints in the frame that shows a new
// result (or a new layer); work that only the side panels need (every layer's metrics, every head's
// thumbnail) then runs after that frame instead of delaying it.
import { useEffect, useState } from 'react';

export function useAfterFrame<T>(value: T): T {
  const [late, setLate] = useState(value);
  useEffect(() => {
    if (Object.is(late, value)) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // rAF runs at the start of the next frame; the timeout lands after that frame has been drawn.
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setLate(value), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [value, late]);
  return late;
}
