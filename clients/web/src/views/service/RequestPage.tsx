// Being built: replaced by the view itself before this lands.
import { Page } from "../../ui/Page";

export function RequestPage({ id }: { id: string }) {
  return <Page title="RequestPage">{id}</Page>;
}
