import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/features/<id>`). The API owns `/features/*` in both deployments, so the
 * views live in the fragment, which never reaches a server: every view works from a direct
 * URL on any static host with no rewrite rules, and API clients never see HTML.
 */
export type Route =
  | { readonly name: 'features'; readonly status?: string }
  | { readonly name: 'feature'; readonly id: string; readonly task?: string }
  | { readonly name: 'new' }
  | { readonly name: 'metrics' }
  | { readonly name: 'not-found'; readonly path: string };

export function parseRoute(hash: string): Route {
  const [rawPath = '', rawQuery = ''] = hash.replace(/^#/, '').split('?', 2);
  const path = rawPath.replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(rawQuery);
  if (path === '/' || path === '/features') {
    const status = query.get('status');
    return status ? { name: 'features', status } : { name: 'features' };
  }
  if (path === '/new') return { name: 'new' };
  if (path === '/metrics') return { name: 'metrics' };
  const feature = /^\/features\/([^/]+)$/.exec(path);
  if (feature) {
    const task = query.get('task');
    const id = decodeURIComponent(feature[1]!);
    return task ? { name: 'feature', id, task } : { name: 'feature', id };
  }
  return { name: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'features':
      return route.status ? `#/?status=${encodeURIComponent(route.status)}` : '#/';
    case 'feature':
      return `#/features/${encodeURIComponent(route.id)}${route.task ? `?task=${encodeURIComponent(route.task)}` : ''}`;
    case 'new':
      return '#/new';
    case 'metrics':
      return '#/metrics';
    case 'not-found':
      return `#${route.path}`;
  }
}

/** Changes the view; `replace` keeps the history entry (filters, selections). */
export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const target = href(route);
  if (options.replace) {
    history.replaceState(history.state, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target.slice(1);
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
