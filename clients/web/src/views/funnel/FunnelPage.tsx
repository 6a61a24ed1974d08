// Being built: replaced by the view itself before this lands.
import { Page } from "../../ui/Page";

export function FunnelPage() {
  return <Page title="FunnelPage">{""}</Page>;
}
