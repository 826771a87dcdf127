import { useEffect, useRef } from 'preact/hooks';
import { href, useRoute, type Route } from './router.js';
import { FeaturesPage } from './pages/features-page.js';
import { FeaturePage } from './pages/feature-page.js';
import { NewFeaturePage } from './pages/new-feature-page.js';
import { MetricsPage } from './pages/metrics-page.js';
import { focusTitleWhenShown, PageTitle } from './components/page-title.js';

const titles: Record<Route['name'], string> = {
  features: 'Features',
  feature: 'Feature',
  new: 'New feature',
  metrics: 'Metrics',
  'not-found': 'Not found',
};

export function App() {
  const route = useRoute();
  const first = useRef(true);
  const routeKey = route.name === 'feature' ? `feature:${route.id}` : route.name;

  useEffect(() => {
    document.title = `${route.name === 'feature' ? route.id : titles[route.name]} · DSF`;
    // After a client-side navigation, focus the new view's heading (not on first load:
    // the browser's own focus handling is right there).
    if (first.current) {
      first.current = false;
      return;
    }
    // After render, so the heading found is the new view's, not the old one's.
    requestAnimationFrame(focusTitleWhenShown);
  }, [routeKey]);

  const section = route.name === 'feature' ? 'features' : route.name;
  const navLink = (target: Route, label: string) => (
    <li>
      <a href={href(target)} aria-current={section === target.name ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );

  return (
    <>
      <a class="skip-link" href="#main" onClick={(event) => {
        event.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href={href({ name: 'features' })}>
            <img src="./favicon.svg" width="26" height="26" alt="" />
            DSF <small>software factory</small>
          </a>
          <nav class="mainnav" aria-label="Main">
            <ul>
              {navLink({ name: 'features' }, 'Features')}
              {navLink({ name: 'metrics' }, 'Metrics')}
              {navLink({ name: 'new' }, 'New feature')}
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} />
      </main>
    </>
  );
}

function View({ route }: { route: Route }) {
  switch (route.name) {
    case 'features':
      return <FeaturesPage {...(route.status ? { status: route.status } : {})} />;
    case 'feature':
      return <FeaturePage key={route.id} id={route.id} {...(route.task ? { selectedTask: route.task } : {})} />;
    case 'new':
      return <NewFeaturePage />;
    case 'metrics':
      return <MetricsPage />;
    case 'not-found':
      return (
        <section class="card empty">
          <PageTitle>Page not found</PageTitle>
          <p>Nothing lives at {route.path}.</p>
          <a class="button" href={href({ name: 'features' })}>
            Go to features
          </a>
        </section>
      );
  }
}
