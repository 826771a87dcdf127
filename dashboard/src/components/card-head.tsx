/** The heading block of a card: its title (the section's accessible name, by id) and a one-line explanation. */
export function CardHead({ id, title, subtitle }: { id: string; title: string; subtitle: string }) {
  return (
    <div class="card-head">
      <div>
        <h2 id={id}>{title}</h2>
        <p>{subtitle}</p>
      </div>
    </div>
  );
}
