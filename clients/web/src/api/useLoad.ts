/**
 * Loading data for a view: the call runs when its inputs change, an older answer never overwrites a
 * newer one, and a refusal arrives as a KamError ready to show. `reload` runs it again (after a
 * write, or when a live event says the resource changed).
 */
import { describeError, type KamError } from "@kam/client";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

export interface Loaded<T> {
  data: T | undefined;
  error: KamError | undefined;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, inputs: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: KamError | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    const controller = new AbortController();
    // Marks the shown data as stale while the new answer is on its way (the view keeps showing it).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setState((previous) => ({ ...previous, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (thrown: unknown) => {
        if (!controller.signal.aborted) {
          setState((previous) => ({ data: previous.data, error: describeError(thrown), loading: false }));
        }
      },
    );
    return () => controller.abort();
    // The inputs are the caller's dependency list; `generation` makes `reload` run it again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...inputs, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}

/**
 * A write started by a person: `run` reports whether it succeeded and keeps the refusal for the form
 * to show next to what it names.
 */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<KamError | undefined>(undefined);
  const actionRef = useRef(action);
  useLayoutEffect(() => {
    actionRef.current = action;
  });
  const run = useCallback(async (...args: A): Promise<T | undefined> => {
    setPending(true);
    setError(undefined);
    try {
      return await actionRef.current(...args);
    } catch (thrown) {
      setError(describeError(thrown));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { run, pending, error, clear };
}
