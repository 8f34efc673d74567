//! An Azure IoT Hub device on zmqtt (`CONFIG_ZMQTT_AZURE`): sends telemetry every
//! `CONFIG_APP_TELEMETRY_INTERVAL_SEC` seconds with a property bag, reports its reported
//! properties once it has read its twin, acknowledges each desired-properties patch with a
//! report, answers the direct methods `echo` (the payload back) and `uptime`, and prints
//! cloud-to-device messages with their properties. The SAS token is renewed by the layer.
//!
//! The lines it prints ("azure: …") are what pytest/ checks against the stand-in hub.
#![no_std]

use core::fmt::Write as _;
use core::sync::atomic::{AtomicBool, Ordering};

use zephyr::kconfig::{
    CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_DEVICE_ID, CONFIG_APP_DEVICE_KEY,
    CONFIG_APP_HUB_HOST, CONFIG_APP_KEEPALIVE_SEC, CONFIG_APP_TELEMETRY_INTERVAL_SEC,
};
use zephyr::printkln;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::azure::{self, AzureHandlers, AzureHub, Device, MethodResult, PropertyBag};
use zmqtt_zephyr::{error_description, ConnectOptions};

extern "C" {
    /// src/unix_time.c: seconds since 1970, or -1 when the clock is unset.
    fn app_unix_time() -> i64;
}

/// The sample's handlers, and whether the reported properties were sent.
struct Sample {
    reported: AtomicBool,
}

static SAMPLE: Sample = Sample {
    reported: AtomicBool::new(false),
};

/// `text` as printable UTF-8.
fn text(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("<binary>")
}

fn report(hub: &AzureHub, json: &str) {
    match hub.report(json.as_bytes()) {
        Ok(rid) => printkln!("azure: report rid={rid} {json}"),
        Err(e) => printkln!(
            "azure: report failed: {} ({})",
            e.code(),
            error_description(e.code())
        ),
    }
}

impl AzureHandlers for Sample {
    fn on_connect(&self, _hub: &AzureHub, rc: i32) {
        printkln!("azure: on_connect rc={rc} ({})", error_description(rc));
    }

    fn on_twin(&self, hub: &AzureHub, status: u16, twin: &[u8]) {
        printkln!("azure: twin status={status} {}", text(twin));
        if status == 200 && !self.reported.swap(true, Ordering::AcqRel) {
            let mut json = heapless::String::<128>::new();
            let _ = write!(
                json,
                "{{\"firmware\":\"zmqtt {}\",\"telemetry_interval\":{CONFIG_APP_TELEMETRY_INTERVAL_SEC}}}",
                zmqtt_zephyr::VERSION
            );
            report(hub, &json);
        }
    }

    fn on_desired(&self, hub: &AzureHub, version: u64, patch: &[u8]) {
        printkln!("azure: desired version={version} {}", text(patch));
        // Acknowledge the patch the way Azure's samples do: report the version it brought.
        let mut json = heapless::String::<64>::new();
        let _ = write!(json, "{{\"desired_version\":{version}}}");
        report(hub, &json);
    }

    fn on_reported(&self, _hub: &AzureHub, rid: u32, status: u16, version: Option<u64>) {
        printkln!("azure: reported rid={rid} status={status} version={version:?}");
    }

    fn on_method(
        &self,
        _hub: &AzureHub,
        name: &str,
        payload: &[u8],
        reply: &mut [u8],
    ) -> MethodResult {
        printkln!("azure: method {name} {}", text(payload));
        let mut out = heapless::String::<64>::new();
        let status = match name {
            // The request's JSON back, as the reply.
            "echo" if payload.len() <= reply.len() => {
                reply[..payload.len()].copy_from_slice(payload);
                return MethodResult {
                    status: 200,
                    payload_len: payload.len(),
                };
            }
            "uptime" => {
                let _ = write!(out, "{{\"uptime_ms\":{}}}", zmqtt_zephyr::uptime_ms());
                200
            }
            _ => {
                let _ = out.push_str("{\"error\":\"unknown method\"}");
                404
            }
        };
        let len = out.len().min(reply.len());
        reply[..len].copy_from_slice(&out.as_bytes()[..len]);
        MethodResult {
            status,
            payload_len: len,
        }
    }

    fn on_c2d(&self, _hub: &AzureHub, properties: PropertyBag<'_>, payload: &[u8]) {
        printkln!("azure: c2d {}", text(payload));
        for property in properties.iter() {
            let (mut name, mut value) = ([0u8; 64], [0u8; 128]);
            match (
                property.decode_name(&mut name),
                property.decode_value(&mut value),
            ) {
                (Ok(n), Ok(Some(v))) => printkln!("azure: c2d property {n}={v}"),
                (Ok(n), Ok(None)) => printkln!("azure: c2d property {n} (no value)"),
                _ => printkln!("azure: c2d property {} (undecodable)", property.name_raw()),
            }
        }
    }
}

#[no_mangle]
extern "C" fn rust_main() {
    zmqtt_zephyr::log_init();
    printkln!(
        "zmqtt {} Azure IoT Hub sample, device {CONFIG_APP_DEVICE_ID} of {CONFIG_APP_HUB_HOST}",
        zmqtt_zephyr::VERSION
    );
    // SAFETY: a plain C function without arguments (src/unix_time.c).
    let unix = unsafe { app_unix_time() };
    if unix < 0 {
        printkln!("azure: no wall-clock time (SNTP failed?): cannot sign tokens");
        return;
    }
    azure::set_unix_time(unix as u64);

    let mut url = heapless::String::<96>::new();
    let _ = write!(
        url,
        "mqtts://{CONFIG_APP_BROKER_HOST}:{CONFIG_APP_BROKER_PORT}"
    );
    let device = Device {
        hub_host: CONFIG_APP_HUB_HOST,
        device_id: CONFIG_APP_DEVICE_ID,
        module_id: None,
        key: CONFIG_APP_DEVICE_KEY,
    };
    let options = ConnectOptions {
        keep_alive: Some(CONFIG_APP_KEEPALIVE_SEC as u16),
        // The CA the hub's certificate must chain to, made or copied by the CMakeLists.txt.
        trust_store: Some(include_bytes!(concat!(
            env!("BUILD_DIR"),
            "/certs/ca.pem.nul"
        ))),
        ..ConnectOptions::new()
    };
    printkln!("azure: connecting to {url} at unix time {unix}");
    let hub = match AzureHub::start(&url, &device, &SAMPLE, &options) {
        Ok(hub) => hub,
        Err(e) => {
            printkln!(
                "azure: start failed: {} ({})",
                e.code(),
                error_description(e.code())
            );
            return;
        }
    };

    let mut count: u32 = 0;
    loop {
        sleep(Duration::secs_at_least(
            CONFIG_APP_TELEMETRY_INTERVAL_SEC as u64,
        ));
        if !hub.client().is_connected() {
            continue;
        }
        count += 1;
        let mut payload = heapless::String::<64>::new();
        let _ = write!(
            payload,
            "{{\"count\":{count},\"uptime_ms\":{}}}",
            zmqtt_zephyr::uptime_ms()
        );
        match hub.send_telemetry(
            &[("source", Some("zmqtt sample")), ("sample", None)],
            payload.as_bytes(),
        ) {
            Ok(mid) => printkln!("azure: telemetry mid={mid} {payload}"),
            Err(e) => printkln!(
                "azure: telemetry failed: {} ({})",
                e.code(),
                error_description(e.code())
            ),
        }
    }
}
