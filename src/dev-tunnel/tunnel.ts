/**
 * The public tunnel seam: something that gives the local server an https URL Twilio can reach. Production uses
 * ngrok's HTTP tunnel (an HTTP tunnel: a TCP tunnel breaks Media Streams with error 31910); tests pass a fake.
 */
import { forward } from '@ngrok/ngrok';

/** An open tunnel. */
export interface Tunnel {
  /** Public https origin forwarding to the local port. */
  readonly url: string;
  close(): Promise<void>;
}

/** Opens a tunnel to a local port, on a reserved domain when given. */
export type OpenTunnel = (options: { readonly port: number; readonly domain: string | undefined }) => Promise<Tunnel>;

/** The ngrok implementation; the token comes from the validated dev configuration, not from ngrok reading env itself. */
export function ngrokTunnelOpener(authtoken: string): OpenTunnel {
  return async function openNgrokTunnel({ port, domain }) {
    const listener = await forward({ addr: port, authtoken, proto: 'http', ...(domain === undefined ? {} : { domain }) });
    const url = listener.url();
    if (url === null) {
      await listener.close();
      throw new Error('ngrok opened a tunnel without a public URL');
    }
    return { url: new URL(url).origin, close: () => listener.close() };
  };
}
