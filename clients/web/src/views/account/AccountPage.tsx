// Being built: replaced by the view itself before this lands.
import { Page } from "../../ui/Page";

export function AccountPage({ id }: { id: string }) {
  return <Page title="AccountPage">{id}</Page>;
}
