/**
 * The tag of a Deployment's first container image: its version, for release images. Without a tag,
 * or with a digest only, or a registry port mistaken for a tag (`host:5000/image`): undefined.
 */
export function imageTag(d: any): string | undefined {
  const image: string = (d?.spec?.template?.spec?.containers?.[0]?.image ?? '').split('@')[0];
  const tag = image.slice(image.lastIndexOf(':') + 1);
  return image.includes(':') && !tag.includes('/') ? tag : undefined;
}
