/// <reference types="svelte" />
/// <reference types="vite/client" />
declare module '*?modulePath' {
  const path: string;
  export default path;
}
