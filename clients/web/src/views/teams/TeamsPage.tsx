// Being built: replaced by the view itself before this lands.
import { Page } from "../../ui/Page";

export function TeamsPage() {
  return <Page title="TeamsPage">{""}</Page>;
}
