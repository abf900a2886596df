; Inno Setup script for GenoFlow Desktop (Windows). Built by packaging/build.py when the Inno
; Setup compiler (iscc) is on PATH: wraps dist\genoflow\ into a per-user installer.
#define AppVersion GetEnv("GENOFLOW_VERSION")

[Setup]
AppId={{5E0F6B2C-4C7A-4E59-9F0B-6F3B2D8A1C11}
AppName=GenoFlow Desktop
AppVersion={#AppVersion}
AppPublisher=GenoFlow Desktop developers
DefaultDirName={localappdata}\Programs\GenoFlow
DefaultGroupName=GenoFlow Desktop
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=GenoFlow-{#AppVersion}-windows-setup
SetupIconFile=genoflow.ico
Compression=lzma2
SolidCompression=yes
ChangesAssociations=yes

[Files]
Source: "..\..\dist\genoflow\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\GenoFlow Desktop"; Filename: "{app}\genoflow.exe"
Name: "{userdesktop}\GenoFlow Desktop"; Filename: "{app}\genoflow.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Registry]
; "Open with GenoFlow" for the sequencing formats (per user, no admin rights needed).
Root: HKCU; Subkey: "Software\Classes\GenoFlow.File"; ValueType: string; ValueData: "Sequencing data"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\GenoFlow.File\shell\open\command"; ValueType: string; ValueData: """{app}\genoflow.exe"" ""%1"""
Root: HKCU; Subkey: "Software\Classes\.fastq\OpenWithProgids"; ValueType: string; ValueName: "GenoFlow.File"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\.fq\OpenWithProgids"; ValueType: string; ValueName: "GenoFlow.File"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\.bam\OpenWithProgids"; ValueType: string; ValueName: "GenoFlow.File"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\.cram\OpenWithProgids"; ValueType: string; ValueName: "GenoFlow.File"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\.vcf\OpenWithProgids"; ValueType: string; ValueName: "GenoFlow.File"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\.bcf\OpenWithProgids"; ValueType: string; ValueName: "GenoFlow.File"; ValueData: ""
