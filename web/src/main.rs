//! Entry point: mounts the app on the page (built by Trunk from `index.html`).

fn main() {
    leptos::mount::mount_to_body(toolgate_web::app::App);
}
