/**
 * The app's addresses, kept in the browser's history so pages can be bookmarked and the back button
 * works. kam-server answers every page address with the app, which then draws the page for it.
 */
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from "react";

/** A page of the app, parsed from the address. */
export type Route =
  | { page: "accounts" }
  | { page: "account"; id: string }
  | { page: "brief"; id: string }
  | { page: "group"; id: string }
  | { page: "funnel" }
  | { page: "service" }
  | { page: "request"; id: string }
  | { page: "tiers" }
  | { page: "teams" }
  | { page: "competitors" }
  | { page: "notifications" }
  | { page: "not_found"; path: string };

export function parseRoute(path: string): Route {
  const parts = decodedParts(path);
  if (parts === undefined) return { page: "not_found", path };
  const [first, second, ...rest] = parts;
  // The addresses three segments deep: an account's visit brief and its group.
  if (first === "accounts" && second !== undefined && rest.length === 1 && rest[0] === "brief") {
    return { page: "brief", id: second };
  }
  if (first === "accounts" && second !== undefined && rest.length === 1 && rest[0] === "group") {
    return { page: "group", id: second };
  }
  if (rest.length > 0) return { page: "not_found", path };
  switch (first) {
    case undefined:
      return { page: "accounts" };
    case "accounts":
      return second === undefined ? { page: "accounts" } : { page: "account", id: second };
    case "funnel":
      return second === undefined ? { page: "funnel" } : { page: "not_found", path };
    case "service":
      return second === undefined ? { page: "service" } : { page: "request", id: second };
    case "tiers":
      return second === undefined ? { page: "tiers" } : { page: "not_found", path };
    case "teams":
      return second === undefined ? { page: "teams" } : { page: "not_found", path };
    case "notifications":
      return second === undefined ? { page: "notifications" } : { page: "not_found", path };
    case "competitors":
      return second === undefined ? { page: "competitors" } : { page: "not_found", path };
    default:
      return { page: "not_found", path };
  }
}

/** The address's segments, decoded; `undefined` for a malformed escape (a truncated link). */
function decodedParts(path: string): string[] | undefined {
  try {
    return path.split("/").filter((part) => part !== "").map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** The address of a page. */
export function pathOf(route: Route): string {
  switch (route.page) {
    case "accounts":
      return "/";
    case "account":
      return `/accounts/${encodeURIComponent(route.id)}`;
    case "brief":
      return `/accounts/${encodeURIComponent(route.id)}/brief`;
    case "group":
      return `/accounts/${encodeURIComponent(route.id)}/group`;
    case "request":
      return `/service/${encodeURIComponent(route.id)}`;
    case "not_found":
      return route.path;
    default:
      return `/${route.page}`;
  }
}

const NAVIGATED = "kam:navigated";

export function navigate(route: Route): void {
  const path = pathOf(route);
  if (path !== window.location.pathname) {
    window.history.pushState(null, "", path);
    window.dispatchEvent(new Event(NAVIGATED));
  }
}

/** The current page; changes on links, `navigate` and the back and forward buttons. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}

/**
 * A link to a page of the app: a real `<a href>` (new tab works), navigated in place on a plain click.
 * Other attributes of an anchor (`aria-label`, `aria-current`, `data-testid`) pass through.
 */
export function Link({
  to,
  children,
  className,
  ...attributes
}: { to: Route; children: ReactNode; className?: string } & Omit<
  AnchorHTMLAttributes<HTMLAnchorElement>,
  "href" | "onClick" | "className" | "children"
>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...attributes} href={pathOf(to)} onClick={onClick} className={className}>
      {children}
    </a>
  );
}
