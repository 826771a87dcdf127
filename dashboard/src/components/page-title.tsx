import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

let focusPending = false;

/** Called on a client-side navigation: the next view's heading takes the focus when it appears. */
export function focusTitleWhenShown(): void {
  focusPending = true;
  const title = document.getElementById('page-title');
  if (title) {
    focusPending = false;
    title.focus();
  }
}

/**
 * The view's one h1. After a client-side navigation it takes the focus, so a screen
 * reader announces the new view and Tab continues from its top. Views that load their
 * data first show it late, hence the pending flag rather than a focus call at navigation.
 */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusPending) {
      focusPending = false;
      ref.current?.focus();
    }
  }, []);
  return (
    <h1 id="page-title" tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}
