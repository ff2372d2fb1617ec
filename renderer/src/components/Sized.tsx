// Gives a chart the width its column has (panels grow with the window; a fixed width would overflow or waste it).
import { useRef, type ReactNode } from 'react';
import { useElementSize } from '../util/useElementSize.js';

export function Sized({ children, min = 200 }: { children: (width: number) => ReactNode; min?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(ref);
  return (
    <div ref={ref} className="sized">
      {width > 0 ? children(Math.max(min, width)) : null}
    </div>
  );
}
